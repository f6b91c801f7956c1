namespace Portal.Cluster;

/// <summary>
/// One entry under <c>Clusters:{name}</c>: a kubeconfig file (and context), or the in-cluster service account. With no
/// <c>Clusters:default</c>, the portal runs the embedded Sandbox and <c>default</c> means it.
/// </summary>
public sealed class ClusterOptions
{
    public const string Section = "Clusters";
    public const string DefaultName = "default";

    public string? Kubeconfig { get; set; }

    public string? Context { get; set; }

    public bool InCluster { get; set; }
}

/// <summary>Settings under <c>Sandbox</c> for the embedded cluster.</summary>
public sealed class EmbeddedSandboxOptions
{
    public const string Section = "Sandbox";

    /// <summary>Loopback port; 0 picks a free one. The kubeconfig in the data folder always names the current one.</summary>
    public int Port { get; set; }

    /// <summary>How much faster than real time the simulated cluster runs (rollouts, deadlines, back-offs).</summary>
    public double Speed { get; set; } = 1;

    /// <summary>
    /// In demo mode with no <c>Registries</c> configured, the Sandbox also serves the demo images' registry, and the
    /// portal uses it for the demo services' host (<c>registry.example.com</c>), trusting the Sandbox's CA.
    /// </summary>
    public bool Registry { get; set; } = true;
}
