namespace Sandbox.Tests.Controllers;

/// <summary>
/// kubectl's rollout commands against a Sandbox started by the test, its controllers on a clock running 20 times
/// faster than real time, so that rollouts finish in a fraction of a second and progress deadlines pass in a few.
/// </summary>
public sealed class KubectlRolloutTests : IAsyncLifetime
{
    private const double Speed = 20;
    private TestCluster cluster = null!;

    public async Task InitializeAsync() =>
        cluster = await TestCluster.StartAsync(time: new AcceleratedTimeProvider(Speed), controllers: true);

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task RolloutStatusEndsWithSuccessfullyRolledOut()
    {
        await Apply(Deployment("web", "nginx:1.27"));

        var status = await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s");

        status.Succeeded();
        Assert.Contains("deployment \"web\" successfully rolled out", status.Output);
        var get = (await cluster.KubectlAsync("get", "deployment", "web")).Succeeded();
        Assert.Matches(@"web\s+3/3\s+3\s+3", get.Output);
    }

    [Fact]
    public async Task SetImageRollsOutANewReplicaSet()
    {
        await Apply(Deployment("web", "nginx:1.27"));
        (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();

        (await cluster.KubectlAsync("set", "image", "deployment/web", "app=nginx:1.28")).Succeeded();
        var status = (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();

        Assert.Contains("deployment \"web\" successfully rolled out", status.Output);
        var replicaSets = (await cluster.KubectlAsync("get", "replicasets", "-l", "app=web", "-o",
            "jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.spec.replicas}{\"\\n\"}{end}")).Succeeded();
        Assert.Contains("nginx:1.27=0", replicaSets.Output);
        Assert.Contains("nginx:1.28=3", replicaSets.Output);
    }

    [Fact]
    public async Task RolloutHistoryListsTheRevisions()
    {
        await Apply(Deployment("web", "nginx:1.27"));
        (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();
        (await cluster.KubectlAsync("set", "image", "deployment/web", "app=nginx:1.28")).Succeeded();
        (await cluster.KubectlAsync("annotate", "deployment/web", "kubernetes.io/change-cause=upgrade to 1.28")).Succeeded();
        (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();

        var history = (await cluster.KubectlAsync("rollout", "history", "deployment/web")).Succeeded();

        Assert.Matches(@"REVISION\s+CHANGE-CAUSE", history.Output);
        Assert.Matches(@"(?m)^1\s+<none>", history.Output);
        Assert.Matches(@"(?m)^2\s+upgrade to 1\.28", history.Output);
        var revision = (await cluster.KubectlAsync("rollout", "history", "deployment/web", "--revision=1")).Succeeded();
        Assert.Contains("nginx:1.27", revision.Output);
    }

    [Fact]
    public async Task RolloutUndoGoesBackToThePreviousTemplate()
    {
        await Apply(Deployment("web", "nginx:1.27"));
        (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();
        (await cluster.KubectlAsync("set", "image", "deployment/web", "app=nginx:1.28")).Succeeded();
        (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();

        var undo = (await cluster.KubectlAsync("rollout", "undo", "deployment/web")).Succeeded();
        Assert.Contains("rolled back", undo.Output);
        (await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s")).Succeeded();

        var image = (await cluster.KubectlAsync("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}")).Succeeded();
        Assert.Equal("nginx:1.27 3", image.Output.Trim());
        var history = (await cluster.KubectlAsync("rollout", "history", "deployment/web")).Succeeded();
        Assert.Matches(@"(?m)^2\s", history.Output);
        Assert.Matches(@"(?m)^3\s", history.Output);
        Assert.DoesNotMatch(@"(?m)^1\s", history.Output);
        var replicaSets = (await cluster.KubectlAsync("get", "replicasets", "-l", "app=web", "-o", "name")).Succeeded();
        Assert.Equal(2, replicaSets.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ACrashingImageMakesRolloutStatusFailWithExceededItsProgressDeadline()
    {
        await Apply(Deployment("web", "nginx:1.27-crash", progressDeadlineSeconds: 20));

        var status = await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=60s");

        Assert.NotEqual(0, status.ExitCode);
        Assert.Contains("deployment \"web\" exceeded its progress deadline", status.Error);
        var pods = (await cluster.KubectlAsync("get", "pods", "-l", "app=web")).Succeeded();
        Assert.Matches("CrashLoopBackOff|Error|Running", pods.Output);
    }

    private async Task Apply(string yaml) =>
        (await cluster.KubectlAsync("apply", "-f", cluster.Manifest($"{Guid.NewGuid():n}.yaml", yaml))).Succeeded();

    private static string Deployment(string name, string image, int progressDeadlineSeconds = 600) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          labels:
            app: {name}
        spec:
          replicas: 3
          progressDeadlineSeconds: {progressDeadlineSeconds}
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              containers:
              - name: app
                image: {image}
                resources:
                  requests:
                    cpu: 100m
                    memory: 64Mi
        """;
}
