using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Sandbox.Store;

namespace Sandbox.Tests.Controllers;

/// <summary>Controllers that behave as a real cluster's do: endpoints, quotas, rolling-update fenceposts, HPA timing, managedFields.</summary>
public sealed class ControllerParityTests : IDisposable
{
    private readonly SimulatedCluster cluster = new();

    public void Dispose() => cluster.Dispose();

    [Fact]
    public async Task EndpointsListTheReadyPodsOfAServiceAndFollowThemAsTheyChange()
    {
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.27", replicas: 2));
        cluster.Store.Create(ResourceTypes.Services, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = SimulatedCluster.Namespace },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["app"] = "web" },
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = 8080 }),
            },
        });
        await cluster.Settle();
        var pending = Endpoints();
        Assert.NotNull(pending);
        Assert.Null(pending!["subsets"]?[0]?["addresses"]);

        await cluster.AdvanceUntil(() => Addresses().Count == 2, TimeSpan.FromMinutes(1), what: "two ready addresses");

        var ips = cluster.PodsOf("web").Select(p => (string?)p["status"]!["podIP"]).Order().ToList();
        Assert.Equal(ips, Addresses());
        var port = Endpoints()!["subsets"]![0]!["ports"]![0]!;
        Assert.Equal(("http", 8080, "TCP"), ((string?)port["name"], (int?)port["port"], (string?)port["protocol"]));
        Assert.Equal("Pod", (string?)Endpoints()!["subsets"]![0]!["addresses"]![0]!["targetRef"]!["kind"]);

        cluster.UpdateDeployment("web", d => d["spec"]!["replicas"] = 1);
        await cluster.AdvanceUntil(() => Addresses().Count == 1, TimeSpan.FromMinutes(1), what: "one address");
        cluster.Store.Delete(ResourceTypes.Services, SimulatedCluster.Namespace, "web");
        await cluster.Settle();
        Assert.Null(Endpoints());
    }

    [Fact]
    public async Task AQuotaReportsWhatThePodsOfItsNamespaceUse()
    {
        cluster.Store.Create(ResourceTypes.ResourceQuotas, Quota("compute", ("requests.cpu", "4"), ("requests.memory", "8Gi"), ("pods", "10"), ("configmaps", "5")));
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("api", "api:1", replicas: 3, cpu: "250m"));

        await cluster.AdvanceUntil(() => cluster.RolledOut("api"), TimeSpan.FromMinutes(1), what: "the rollout");

        var used = Quota()["status"]!["used"]!;
        Assert.Equal("750m", (string?)used["requests.cpu"]);
        Assert.Equal("192Mi", (string?)used["requests.memory"]);
        Assert.Equal("0", (string?)used["configmaps"]);
        Assert.Equal("3", (string?)used["pods"]);
        Assert.Equal("4", (string?)Quota()["status"]!["hard"]!["requests.cpu"]);
        Assert.Equal(ControllerManager(), Quota()["metadata"]!["managedFields"]!.AsArray().Select(e => (string?)e!["manager"]).Single());
    }

    [Fact]
    public async Task PodsAQuotaCannotFitAreRefusedAndTheReplicaSetSaysWhy()
    {
        cluster.Store.Create(ResourceTypes.ResourceQuotas, Quota("compute", ("requests.cpu", "1")));
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("api", "api:1", replicas: 3, cpu: "400m"));

        await cluster.AdvanceUntil(() => cluster.Events("FailedCreate").Count > 0, TimeSpan.FromMinutes(1), what: "a FailedCreate event");

        Assert.Equal(2, cluster.PodsOf("api").Count);
        var message = (string?)cluster.Events("FailedCreate")[0]["message"];
        Assert.Matches("""^Error creating: pods "api-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: compute, requested: requests.cpu=400m, used: requests.cpu=800m, limited: requests.cpu=1$""", message);
    }

    [Theory]
    [InlineData("25%", "0", 5, 4)]
    [InlineData("0", "1", 4, 3)]
    public async Task TheRollingUpdateKeepsWithinMaxSurgeAndMaxUnavailable(string maxSurge, string maxUnavailable, int mostPods, int fewestAvailable)
    {
        var deployment = SimulatedCluster.NewDeployment("web", "nginx:1.27", replicas: 4);
        deployment["spec"]!["strategy"] = new JsonObject
        {
            ["type"] = "RollingUpdate",
            ["rollingUpdate"] = new JsonObject { ["maxSurge"] = Value(maxSurge), ["maxUnavailable"] = Value(maxUnavailable) },
        };
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1), what: "the first rollout");

        cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, "nginx:1.28"));
        var seenPods = 0;
        var seenAvailable = int.MaxValue;
        await cluster.AdvanceUntil(() =>
        {
            var pods = cluster.PodsOf("web");
            seenPods = Math.Max(seenPods, pods.Count);
            seenAvailable = Math.Min(seenAvailable, pods.Count(p => SimulatedCluster.Condition(p, "Ready")?["status"]?.ToString() == "True"));
            return cluster.RolledOut("web") && pods.All(p => (string?)p["spec"]!["containers"]![0]!["image"] == "nginx:1.28");
        }, TimeSpan.FromMinutes(2), step: TimeSpan.FromMilliseconds(250), what: "the second rollout");

        Assert.Equal(mostPods, seenPods);
        Assert.Equal(fewestAvailable, seenAvailable);
    }

    [Fact]
    public async Task ANewHpaIsFirstSyncedOneResyncPeriodAfterItWasCreated()
    {
        var deployment = SimulatedCluster.NewDeployment("api", "api:1.0", replicas: null, cpu: "100m");
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        cluster.Store.Create(ResourceTypes.HorizontalPodAutoscalers, HorizontalPodAutoscalerTests.Autoscaler("api", min: 2, max: 5, targetUtilization: 50));

        var took = await cluster.AdvanceUntil(() => Hpa()["status"] is not null, TimeSpan.FromMinutes(1), what: "the first HPA status");

        Assert.Equal(TimeSpan.FromSeconds(15), took);
    }

    [Fact]
    public async Task WritesByControllersAndTheKubeletAppearInManagedFieldsUnderTheirManagers()
    {
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.27", replicas: 1));
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1), what: "the rollout");

        var deployment = Managers(cluster.Deployment("web"));
        var replicaSet = Managers(cluster.ReplicaSetsOf("web").Single());
        var pod = Managers(cluster.PodsOf("web").Single());

        Assert.Contains(("kube-controller-manager", "Update", "status"), deployment);
        Assert.Contains(("kube-controller-manager", "Update", ""), deployment);
        Assert.Contains(("kube-controller-manager", "Update", ""), replicaSet);
        Assert.Contains(("kube-controller-manager", "Update", "status"), replicaSet);
        Assert.Contains(("kube-controller-manager", "Update", ""), pod);
        Assert.Contains(("kubelet", "Update", "status"), pod);
    }

    [Fact]
    public async Task AReadModifyReplaceWithinTheFirstResyncPeriodOfANewHpaMeetsNoConflict()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var http = await TestCluster.StartAsync(time: time, controllers: true);
        await http.Client.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("api"), "default");
        await http.Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(new V2HorizontalPodAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = "api" },
                MinReplicas = 1, MaxReplicas = 3,
            },
        }, "default");
        var read = await http.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("api", "default");
        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await http.Host.Controllers!.WhenIdle();
        }

        read.Spec.MaxReplicas = 4;
        var replaced = await http.Client.AutoscalingV2.ReplaceNamespacedHorizontalPodAutoscalerAsync(read, "api", "default");
        time.Advance(TimeSpan.FromSeconds(6));
        await http.Host.Controllers!.WhenIdle();

        Assert.Equal(4, replaced.Spec.MaxReplicas);
        Assert.NotNull((await http.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("api", "default")).Status?.DesiredReplicas);
    }

    [Fact]
    public async Task AQuotaRefusesAPodOverTheApiWith403ExceededQuota()
    {
        await using var http = await TestCluster.StartAsync();
        await http.Client.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = "compute" },
            Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["requests.memory"] = new("1Gi"), ["pods"] = new("5") } },
        }, "default");

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => http.Client.CoreV1.CreateNamespacedPodAsync(Pod("big", "2Gi"), "default"));
        var unstated = await Assert.ThrowsAsync<HttpOperationException>(() => http.Client.CoreV1.CreateNamespacedPodAsync(Pod("vague", null), "default"));
        await http.Client.CoreV1.CreateNamespacedPodAsync(Pod("small", "512Mi"), "default");

        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal(("Forbidden", 403), (status.Reason, status.Code!.Value));
        Assert.Equal("pods \"big\" is forbidden: exceeded quota: compute, requested: requests.memory=2Gi, used: requests.memory=0, limited: requests.memory=1Gi", status.Message);
        Assert.Contains("failed quota: compute: must specify requests.memory", unstated.Response.Content);
        Assert.Equal(["small"], (await http.Client.CoreV1.ListNamespacedPodAsync("default")).Items.Select(p => p.Metadata.Name));
    }

    private static V1Pod Pod(string name, string? memory) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container
            {
                Name = "app", Image = "app:1",
                Resources = memory is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memory) } },
            }],
        },
    };

    private static string ControllerManager() => "kube-controller-manager";

    private static List<(string?, string?, string)> Managers(JsonObject obj) =>
        obj["metadata"]!["managedFields"]!.AsArray().Select(e => ((string?)e!["manager"], (string?)e["operation"], (string?)e["subresource"] ?? "")).ToList();

    private static JsonNode Value(string text) => int.TryParse(text, out var n) ? JsonValue.Create(n) : JsonValue.Create(text);

    private static JsonObject Quota(string name, params (string Resource, string Amount)[] hard)
    {
        var map = new JsonObject();
        foreach (var (resource, amount) in hard)
        {
            map[resource] = amount;
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = SimulatedCluster.Namespace },
            ["spec"] = new JsonObject { ["hard"] = map },
        };
    }

    private JsonObject Quota() => cluster.Store.Get(ResourceTypes.ResourceQuotas, SimulatedCluster.Namespace, "compute")!;

    private JsonObject Hpa() => cluster.Store.Get(ResourceTypes.HorizontalPodAutoscalers, SimulatedCluster.Namespace, "api")!;

    private JsonObject? Endpoints() => cluster.Store.Get(ResourceTypes.Endpoints, SimulatedCluster.Namespace, "web");

    private List<string?> Addresses() =>
        (Endpoints()?["subsets"] as JsonArray ?? []).SelectMany(s => s?["addresses"] as JsonArray ?? []).Select(a => (string?)a?["ip"]).Order().ToList();
}
