using k8s;

namespace Sandbox.Tests;

/// <summary>The host as the portal embeds it: controllers started with it, kubeconfig usable as is.</summary>
public sealed class SandboxHostTests
{
    [Fact]
    public async Task TheHostRunsTheControllersSoAnAppliedDeploymentRollsOut()
    {
        await using var cluster = await TestCluster.StartAsync(time: new AcceleratedTimeProvider(20), controllers: true);
        Assert.NotNull(cluster.Host.Controllers);
        var manifest = cluster.Manifest("web.yaml", Manifests.DeploymentYaml);

        (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded();
        var status = (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();

        Assert.Contains("deployment \"web\" successfully rolled out", status.Output);
        var pods = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web");
        Assert.Equal(2, pods.Items.Count(p => p.Status?.Phase == "Running"));
        Assert.Equal(3, (await cluster.Client.CoreV1.ListNodeAsync()).Items.Count);
    }

    [Fact]
    public async Task TheKubeconfigNamesClusterUserAndContextSandbox()
    {
        await using var cluster = await TestCluster.StartAsync();

        var config = await k8s.KubernetesClientConfiguration.LoadKubeConfigAsync(new FileInfo(cluster.KubeconfigPath));

        Assert.Equal("sandbox", config.CurrentContext);
        Assert.Equal("sandbox", Assert.Single(config.Clusters).Name);
        Assert.Equal(cluster.Host.ServerUrl, config.Clusters.Single().ClusterEndpoint.Server);
        Assert.Equal(cluster.Host.Token, Assert.Single(config.Users).UserCredentials.Token);
        Assert.False(string.IsNullOrEmpty(config.Clusters.Single().ClusterEndpoint.CertificateAuthorityData));
    }
}
