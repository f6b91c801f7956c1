namespace Portal.Cluster;

/// <summary>A named deployment target from the <c>Environments</c> configuration section.</summary>
public sealed class DeploymentEnvironment
{
    public string Name { get; set; } = "";

    /// <summary>The name of a cluster under <c>Clusters</c>. With <c>Clusters:default</c> unset, the embedded Sandbox.</summary>
    public string Cluster { get; set; } = "default";

    /// <summary><c>{team}</c> and <c>{environment}</c> are replaced to give the namespace.</summary>
    public string NamespacePattern { get; set; } = "{team}-{environment}";

    public bool RequiresApproval { get; set; }

    public int MaxReplicas { get; set; } = 10;

    /// <summary>A rollback to a revision that was approved before needs no new approval.</summary>
    public bool RollbackSkipsApproval { get; set; }

    /// <summary>When a rollout fails, roll back to the last good revision at once, without asking.</summary>
    public bool AutoRollback { get; set; }

    /// <summary>
    /// Roll back to the last good revision, without asking, as soon as a new pod of a rollout has crash-looped this many
    /// restarts, instead of waiting for the progress deadline. Off when unset.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int? AutoRollbackAfterRestarts { get; set; }

    /// <summary>How long a rollout may make no progress before it fails; Kubernetes' default (600 s) when unset.</summary>
    public int? ProgressDeadlineSeconds { get; set; }

    /// <summary>
    /// Whether a tag the registry cannot confirm (no registry configured for the repository's host, or the registry is
    /// unreachable) may still be requested, as typed. When false, only tags resolved to a digest are accepted.
    /// </summary>
    public bool AllowManualImageTag { get; set; } = true;

    /// <summary>Accept only image digests that succeeded in the environment before this one (configuration order).</summary>
    public bool RequirePromotion { get; set; }

    /// <summary>Times in which the environment takes no changes (besides those stored on the Admin page).</summary>
    public List<Releases.FreezeWindow> FreezeWindows { get; set; } = [];

    /// <summary>Whether the portal may still roll back a failed rollout by itself during a freeze.</summary>
    public bool AllowAutomaticRollbackDuringFreeze { get; set; } = true;

    public string NamespaceFor(string team) =>
        NamespacePattern.Replace("{team}", team, StringComparison.Ordinal).Replace("{environment}", Name, StringComparison.Ordinal);
}

/// <summary>The configured environments in configuration order.</summary>
public sealed class EnvironmentCatalog
{
    public static IReadOnlyList<DeploymentEnvironment> Defaults =>
    [
        new() { Name = "staging", RequiresApproval = false, MaxReplicas = 10 },
        new() { Name = "production", RequiresApproval = true, MaxReplicas = 20 },
    ];

    public List<DeploymentEnvironment> Environments { get; set; } = [];

    public DeploymentEnvironment? Find(string name) => Environments.Find(e => e.Name == name);

    /// <summary>The environment configured before <paramref name="name"/>, from which it is promoted; null for the first.</summary>
    public DeploymentEnvironment? Previous(string name)
    {
        var index = Environments.FindIndex(e => e.Name == name);
        return index > 0 ? Environments[index - 1] : null;
    }

    /// <summary>The environment configured after <paramref name="name"/>; null for the last.</summary>
    public DeploymentEnvironment? Next(string name)
    {
        var index = Environments.FindIndex(e => e.Name == name);
        return index >= 0 && index < Environments.Count - 1 ? Environments[index + 1] : null;
    }
}
