namespace Sandbox.Tests;

/// <summary>The portal's install manifests (<c>deploy/overlays/*</c>) dry-run against the Sandbox as they would against a cluster.</summary>
public sealed class InstallManifestDryRunTests
{
    [Theory]
    [InlineData("ha")]
    [InlineData("embedded")]
    public async Task EachOverlayDryRunsOnTheServerAndStoresNothing(string overlay)
    {
        await using var cluster = await TestCluster.StartAsync();
        var rendered = (await cluster.KubectlAsync("kustomize", Path.Combine(FindRoot(), "deploy", "overlays", overlay))).Succeeded().Output;
        var manifest = cluster.Manifest($"{overlay}.yaml", rendered);
        // As on any cluster, a dry run does not create the namespace the other objects go in: it must exist (README).
        (await cluster.KubectlAsync("create", "namespace", "selfservice-portal")).Succeeded();

        var applied = (await cluster.KubectlAsync("apply", "--dry-run=server", "-f", manifest)).Succeeded().Output;

        var objects = rendered.Split("\n---\n").Length;
        Assert.Equal(objects, applied.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith("(server dry run)", StringComparison.Ordinal)));
        foreach (var kind in new[] { "serviceaccount/selfservice-portal", "clusterrole.rbac.authorization.k8s.io/selfservice-portal-deployer",
            "role.rbac.authorization.k8s.io/selfservice-portal-leader-election", "deployment.apps/selfservice-portal", "poddisruptionbudget.policy/selfservice-portal",
            "ingress.networking.k8s.io/selfservice-portal" })
        {
            Assert.Contains($"{kind} created (server dry run)", applied);
        }

        Assert.Contains("not found", (await cluster.KubectlAsync("get", "deployment", "selfservice-portal", "-n", "selfservice-portal")).Error);
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SelfService.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("SelfService.sln not found above the test binaries.");
    }
}
