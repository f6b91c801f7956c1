using k8s;

namespace Sandbox.Tests;

/// <summary>An embedded cluster with a state directory keeps its objects, CA and token across restarts.</summary>
public sealed class StateFileTests
{
    [Fact]
    public async Task ObjectsTokenAndCaSurviveARestart()
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), "sandbox-tests", "state-" + Guid.NewGuid().ToString("n"));
        try
        {
            string uid, token, ca;
            long resourceVersion;
            await using (var first = await TestCluster.StartAsync(stateDirectory: stateDirectory))
            {
                var created = await first.Client.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");
                uid = created.Metadata.Uid;
                (token, ca, resourceVersion) = (first.Host.Token, first.Host.CaPem, first.Host.Store.ResourceVersion);
            }

            await using var second = await TestCluster.StartAsync(stateDirectory: stateDirectory);
            var kept = await second.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
            Assert.Equal(uid, kept.Metadata.Uid);
            Assert.Equal((token, ca), (second.Host.Token, second.Host.CaPem));
            Assert.Equal(resourceVersion, second.Host.Store.ResourceVersion);
            var next = await second.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("after"), "default");
            Assert.Equal(resourceVersion + 1, long.Parse(next.Metadata.ResourceVersion));
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }
}
