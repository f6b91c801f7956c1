using k8s;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>The real kubectl against a Sandbox started by the test, each test with its own kubeconfig and --cache-dir.</summary>
public sealed class KubectlTests
{
    [Fact]
    public async Task ApplyCreatesThenConfiguresADeploymentAndGetShowsItsColumns()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("web.yaml", Manifests.DeploymentYaml);

        Assert.Contains("deployment.apps/web created", (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded().Output);
        Assert.Contains("deployment.apps/web unchanged", (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded().Output);
        cluster.Manifest("web.yaml", Manifests.DeploymentYaml.Replace("nginx:1.27", "nginx:1.28").Replace("replicas: 2", "replicas: 3"));
        Assert.Contains("deployment.apps/web configured", (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded().Output);

        var deployment = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        Assert.Equal("nginx:1.28", deployment.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("100m", deployment.Spec.Template.Spec.Containers[0].Resources.Requests["cpu"].ToString());
        Assert.Equal(3, deployment.Spec.Replicas);
        Assert.Equal(2, deployment.Metadata.Generation);

        var table = (await cluster.KubectlAsync("get", "deploy")).Succeeded().Output.Split('\n');
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["web", "0/3", "0", "0"], table[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);
        var wide = (await cluster.KubectlAsync("get", "deploy", "web", "-o", "wide")).Succeeded().Output;
        Assert.Contains("nginx:1.28", wide);
        Assert.Contains("app=web", wide);
    }

    [Fact]
    public async Task ServerSideApplyCreatesAndChangesADeployment()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("web.yaml", Manifests.DeploymentYaml);

        Assert.Contains("deployment.apps/web serverside-applied", (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded().Output);
        cluster.Manifest("web.yaml", Manifests.DeploymentYaml.Replace("nginx:1.27", "nginx:1.28"));
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();

        var deployment = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        Assert.Equal("nginx:1.28", deployment.Spec.Template.Spec.Containers[0].Image);
        var entry = Assert.Single(deployment.Metadata.ManagedFields);
        Assert.Equal(("kubectl", "Apply"), (entry.Manager, entry.Operation));

        // Another manager's apply of a contested value fails with kubectl's conflict message.
        cluster.Manifest("web.yaml", Manifests.DeploymentYaml.Replace("replicas: 2", "replicas: 7"));
        var conflict = await cluster.KubectlAsync("apply", "--server-side", "--field-manager", "other", "-f", manifest);
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("conflict", conflict.Error);
        Assert.Contains(".spec.replicas", conflict.Error);
    }

    [Fact]
    public async Task GetPodsShowsReadyStatusRestartsAndAge()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pod = await cluster.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web-1" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx" }, new V1Container { Name = "side", Image = "envoy" }] },
        }, "default");
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            ContainerStatuses =
            [
                new V1ContainerStatus { Name = "web", Ready = true, RestartCount = 2, Image = "nginx", ImageID = "", State = new V1ContainerState { Running = new V1ContainerStateRunning() } },
                new V1ContainerStatus { Name = "side", Ready = false, RestartCount = 1, Image = "envoy", ImageID = "", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff" } } },
            ],
        };
        await cluster.Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "web-1", "default");

        var table = (await cluster.KubectlAsync("get", "pods")).Succeeded().Output.Split('\n');

        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["web-1", "1/2", "CrashLoopBackOff", "3"], table[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);
    }

    [Fact]
    public async Task ScaleAndJsonPatchChangeTheDeployment()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web", replicas: 2), "default");

        Assert.Contains("deployment.apps/web scaled", (await cluster.KubectlAsync("scale", "deployment/web", "--replicas=4")).Succeeded().Output);
        Assert.Equal(4, (await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas);

        (await cluster.KubectlAsync("patch", "deployment", "web", "--type", "json",
            "-p", """[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.29"}]""")).Succeeded();
        Assert.Equal("nginx:1.29", (await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Template.Spec.Containers[0].Image);

        (await cluster.KubectlAsync("set", "image", "deployment/web", "web=nginx:1.30")).Succeeded();
        Assert.Equal("nginx:1.30", (await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Template.Spec.Containers[0].Image);
    }

    [Fact]
    public async Task DescribeDeploymentShowsItsStrategyReplicaSetAndEvents()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web", replicas: 2), "default");
        await k8s.AppsV1.CreateNamespacedReplicaSetAsync(ClientCrudTests.OwnedReplicaSet(deployment), "default");
        await k8s.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "web.1" },
            InvolvedObject = new V1ObjectReference { Kind = "Deployment", Name = "web", NamespaceProperty = "default", Uid = deployment.Metadata.Uid, ApiVersion = "apps/v1" },
            Reason = "ScalingReplicaSet",
            Message = "Scaled up replica set web-5d8f7c9b6 to 2",
            Type = "Normal",
            Source = new V1EventSource { Component = "deployment-controller" },
            FirstTimestamp = DateTime.UtcNow,
            LastTimestamp = DateTime.UtcNow,
            Count = 1,
        }, "default");

        var described = (await cluster.KubectlAsync("describe", "deployment", "web")).Succeeded().Output;

        Assert.Contains("StrategyType:           RollingUpdate", described);
        Assert.Contains("RollingUpdateStrategy:  25% max unavailable, 25% max surge", described);
        Assert.Contains("Replicas:               2 desired", described);
        Assert.Matches(@"NewReplicaSet:\s+web-5d8f7c9b6 \(0/2 replicas created\)", described);
        Assert.Contains("Scaled up replica set web-5d8f7c9b6 to 2", described);
    }

    [Fact]
    public async Task RolloutHistoryListsTheRevisionsOfTheReplicaSets()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");
        await k8s.AppsV1.CreateNamespacedReplicaSetAsync(ClientCrudTests.OwnedReplicaSet(deployment), "default");

        var history = (await cluster.KubectlAsync("rollout", "history", "deployment/web")).Succeeded().Output;

        Assert.Contains("REVISION  CHANGE-CAUSE", history);
        Assert.Contains("1         <none>", history);
    }

    [Fact]
    public async Task DeleteCascadesToTheReplicaSetsAndPodsOfADeployment()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var manifest = cluster.Manifest("web.yaml", Manifests.DeploymentYaml);
        (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded();
        var deployment = await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        var replicaSet = await k8s.AppsV1.CreateNamespacedReplicaSetAsync(ClientCrudTests.OwnedReplicaSet(deployment), "default");
        await k8s.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.OwnedPod(replicaSet, "aaaaa"), "default");
        await k8s.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.OwnedPod(replicaSet, "bbbbb"), "default");

        Assert.Contains("deployment.apps \"web\" deleted", (await cluster.KubectlAsync("delete", "-f", manifest)).Succeeded().Output);

        Assert.Empty((await k8s.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        Assert.Empty((await k8s.CoreV1.ListNamespacedPodAsync("default")).Items);
        Assert.Contains("No resources found", (await cluster.KubectlAsync("get", "all")).Succeeded().Error);
    }

    [Fact]
    public async Task ServerDryRunsChangeNothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("web.yaml", Manifests.DeploymentYaml);

        Assert.Contains("(server dry run)", (await cluster.KubectlAsync("apply", "--dry-run=server", "-f", manifest)).Succeeded().Output);
        Assert.Empty((await cluster.Client.AppsV1.ListNamespacedDeploymentAsync("default")).Items);

        (await cluster.KubectlAsync("apply", "-f", manifest)).Succeeded();
        (await cluster.KubectlAsync("delete", "deployment", "web", "--dry-run=server")).Succeeded();
        (await cluster.KubectlAsync("scale", "deployment", "web", "--replicas=9", "--dry-run=server")).Succeeded();

        var kept = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        Assert.Equal(2, kept.Spec.Replicas);
    }

    [Fact]
    public async Task GeneratorCommandsCreateNamespacesConfigMapsAndSecrets()
    {
        await using var cluster = await TestCluster.StartAsync();

        Assert.Contains("namespace/team-a created", (await cluster.KubectlAsync("create", "namespace", "team-a")).Succeeded().Output);
        (await cluster.KubectlAsync("-n", "team-a", "create", "configmap", "settings", "--from-literal=MODE=fast", "--from-literal=LEVEL=3")).Succeeded();
        (await cluster.KubectlAsync("-n", "team-a", "create", "secret", "generic", "db", "--from-literal=password=p4ss")).Succeeded();
        var deployment = await cluster.KubectlAsync("-n", "team-a", "create", "deployment", "web", "--image=nginx");

        var configMap = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "team-a");
        var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("db", "team-a");
        Assert.Equal(new Dictionary<string, string> { ["LEVEL"] = "3", ["MODE"] = "fast" }, configMap.Data.OrderBy(d => d.Key).ToDictionary());
        Assert.Equal(("Opaque", "p4ss"), (secret.Type, System.Text.Encoding.UTF8.GetString(secret.Data["password"])));
        // Only these three kinds are read from protobuf; others are refused as before.
        Assert.NotEqual(0, deployment.ExitCode);
        Assert.Contains("Sandbox reads protobuf only for Namespace, ConfigMap and Secret", deployment.Error);
    }
}
