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

    [Fact]
    public async Task AStateFolderRemovedUnderARunningClusterDoesNotStopTheProcess()
    {
        var folder = Path.Combine(Path.GetTempPath(), "sandbox-tests", "gone-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        // A file where the folder should be: the timer's write cannot succeed, as when a test deletes its data folder.
        await File.WriteAllTextAsync(folder, "not a folder");
        try
        {
            var flushed = 0;
            using var file = new Store.StateFile(Path.Combine(folder, "state.json"), TimeSpan.FromMilliseconds(10), () =>
            {
                Interlocked.Increment(ref flushed);
                return Store.StateFile.Serialize(1, []);
            });
            file.MarkChanged();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref flushed) == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            // The timer ran the failing write on a pool thread; an escaping exception would have ended this test host.
            await Task.Delay(200);
            Assert.Equal(1, Volatile.Read(ref flushed));
        }
        finally
        {
            File.Delete(folder);
        }
    }
}
