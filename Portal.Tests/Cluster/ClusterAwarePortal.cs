using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cluster;

/// <summary>
/// A portal whose environments ask the cluster before a submit: staging blocks what does not fit and caps CPU at 2 and
/// memory at 2Gi; production (no approval) only warns; <c>broken</c> has a namespace pattern the API server refuses
/// (<c>payments.broken</c> is not a DNS-1123 label), so its dry run answers 422; gated needs an approval; remote is on a cluster that cannot be reached.
/// </summary>
public sealed class ClusterAwarePortal : IAsyncLifetime
{
    public PortalApp App { get; } = new PortalApp()
        .With("Environments:0:Name", "staging")
        .With("Environments:0:CapacityCheck", "Block")
        .With("Environments:0:MaxCpu", "2")
        .With("Environments:0:MaxMemory", "2Gi")
        .With("Environments:1:Name", "production")
        .With("Environments:1:CapacityCheck", "Warn")
        .With("Environments:2:Name", "broken")
        .With("Environments:2:NamespacePattern", "{team}.{environment}")
        .With("Environments:3:Name", "gated")
        .With("Environments:3:RequiresApproval", "true")
        .With("Clusters:far:Kubeconfig", Path.Combine(Path.GetTempPath(), "portal-tests", "no-such-kubeconfig"))
        .With("Environments:4:Name", "remote")
        .With("Environments:4:Cluster", "far");

    public Task InitializeAsync() => App.InitializeAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}
