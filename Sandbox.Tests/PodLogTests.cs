using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Sandbox.Tests;

/// <summary>Pod logs through kubectl and KubernetesClient: simulated lines that fit what each container did, on the cluster's clock.</summary>
public sealed class PodLogTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private TestCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await TestCluster.StartAsync(time: time, controllers: true);

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task KubectlLogsShowsTheStartUpThenARequestLineEveryFewSecondsAndTailKeepsTheLast()
    {
        await RunPodAsync("web", "nginx:1.27");
        await AdvanceAsync(TimeSpan.FromSeconds(60));

        var all = (await cluster.KubectlAsync("logs", "web")).Succeeded().Output.TrimEnd('\n').Split('\n');
        var tail = (await cluster.KubectlAsync("logs", "web", "--tail=3")).Succeeded().Output.TrimEnd('\n').Split('\n');
        var stamped = (await cluster.KubectlAsync("logs", "web", "--timestamps", "--limit-bytes=60")).Succeeded().Output;

        Assert.Equal("INFO  starting nginx:1.27", all[0]);
        Assert.Equal("INFO  listening on 0.0.0.0:80", all[1]);
        Assert.InRange(all.Count(l => l.StartsWith("INFO  GET /", StringComparison.Ordinal)), 11, 13);
        Assert.Equal(all[^3..], tail);
        Assert.StartsWith("2025-01-01T12:00:", stamped);
        Assert.Equal(60, System.Text.Encoding.UTF8.GetByteCount(stamped));
    }

    [Fact]
    public async Task ACrashingContainerLogsAnErrorBeforeItExitsAndPreviousShowsIt()
    {
        await CreatePodAsync("worker", "registry.example/worker:crash-1");
        await AdvanceUntilAsync(async () => (await PodAsync("worker")).Status?.ContainerStatuses?[0].RestartCount >= 1, "a restart");

        var previous = (await cluster.KubectlAsync("logs", "worker", "--previous")).Succeeded().Output;
        using var stream = await cluster.Client.CoreV1.ReadNamespacedPodLogAsync("worker", "default", previous: true);
        var viaClient = await new StreamReader(stream).ReadToEndAsync();

        Assert.Contains("INFO  starting registry.example/worker:crash-1", previous);
        Assert.EndsWith("ERROR exiting with code 1\n", previous);
        Assert.Equal(previous, viaClient);
    }

    [Fact]
    public async Task PreviousLogsOfAContainerThatNeverRestartedAreABadRequest()
    {
        await RunPodAsync("web", "nginx:1.27");

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReadNamespacedPodLogAsync("web", "default", previous: true));
        var kubectl = await cluster.KubectlAsync("logs", "web", "--previous");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Contains("previous terminated container \\\"web\\\" in pod \\\"web\\\" not found", refused.Response.Content);
        Assert.NotEqual(0, kubectl.ExitCode);
        Assert.Contains("previous terminated container \"web\" in pod \"web\" not found", kubectl.Error);
    }

    [Fact]
    public async Task APodWithSeveralContainersNeedsTheContainerNamed()
    {
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "pair" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app:1" }, new V1Container { Name = "proxy", Image = "envoy:1" }] },
        }, "default");
        await AdvanceUntilAsync(async () => (await PodAsync("pair")).Status?.ContainerStatuses?.All(c => c.State?.Running is not null) == true, "running containers");

        var named = (await cluster.KubectlAsync("logs", "pair", "-c", "proxy")).Succeeded().Output;

        Assert.Contains("INFO  starting envoy:1", named);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReadNamespacedPodLogAsync("pair", "default"));
        Assert.Contains("a container name must be specified for pod pair, choose one of: [app proxy]", refused.Response.Content);
    }

    [Fact]
    public async Task FollowingWithTheClientReceivesLinesAsTheClusterClockMoves()
    {
        await RunPodAsync("web", "nginx:1.27");
        using var stream = await cluster.Client.CoreV1.ReadNamespacedPodLogAsync("web", "default", follow: true, timestamps: true);
        using var reader = new StreamReader(stream);
        Assert.Contains("starting nginx:1.27", await reader.ReadLineAsync());
        Assert.Contains("listening on", await reader.ReadLineAsync());
        var following = DateTimeOffset.Parse((await ReadNewLineAsync(reader))[..28], System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(following >= time.GetUtcNow() - TimeSpan.FromSeconds(5), $"{following} is an old line");
    }

    [Fact]
    public async Task KubectlLogsFollowEndsWhenTheContainerCrashesWithItsLastLines()
    {
        await CreatePodAsync("worker", "worker:crash");
        await AdvanceUntilAsync(async () => (await PodAsync("worker")).Status?.ContainerStatuses?[0].State?.Running is not null, "a running container");

        var follow = cluster.KubectlAsync("logs", "-f", "worker");
        // Moves the clock until the container crashes; kubectl -f then gets the error lines and the stream ends.
        while (!follow.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            await cluster.Host.Controllers!.WhenIdle();
            await Task.WhenAny(follow, Task.Delay(100));
        }

        var output = (await follow).Succeeded().Output;
        Assert.StartsWith("INFO  starting worker:crash\n", output);
        Assert.EndsWith("ERROR exiting with code 1\n", output);
    }

    private async Task<string> ReadNewLineAsync(StreamReader reader)
    {
        var line = reader.ReadLineAsync();
        for (var i = 0; i < 100 && !line.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(line, Task.Delay(100));
        }

        return await line.WaitAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("the log stream ended");
    }

    private async Task CreatePodAsync(string name, string image) =>
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = name, Image = image, Ports = [new V1ContainerPort { ContainerPort = 80 }] }] },
        }, "default");

    private async Task RunPodAsync(string name, string image)
    {
        await CreatePodAsync(name, image);
        await AdvanceUntilAsync(async () => (await PodAsync(name)).Status?.ContainerStatuses?[0].Ready == true, "a ready container");
    }

    private Task<V1Pod> PodAsync(string name) => cluster.Client.CoreV1.ReadNamespacedPodAsync(name, "default");

    private async Task AdvanceAsync(TimeSpan span)
    {
        for (var passed = TimeSpan.Zero; passed < span; passed += TimeSpan.FromSeconds(1))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await cluster.Host.Controllers!.WhenIdle();
        }
    }

    private async Task AdvanceUntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 300; i++)
        {
            await cluster.Host.Controllers!.WhenIdle();
            if (await condition())
            {
                return;
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Fail($"no {what} within 300 s of cluster time");
    }
}
