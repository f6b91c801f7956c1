using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Sandbox.Store;

namespace Sandbox.Tests;

/// <summary>Behaviours real clients rely on, checked with kubectl and KubernetesClient as they would meet them on a real API server.</summary>
public sealed class ApiServerParityTests
{
    private const string ProbedDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: web
                image: nginx:1.27
                readinessProbe:
                  httpGet:
                    path: /ready
                    port: 80
                livenessProbe:
                  tcpSocket:
                    port: 80
        """;

    private static string WithoutProbes => string.Join('\n', ProbedDeployment.Split('\n').TakeWhile(l => !l.Contains("readinessProbe", StringComparison.Ordinal)));

    [Theory]
    [InlineData("True")]
    [InlineData("1")]
    [InlineData("t")]
    [InlineData("TRUE")]
    public async Task WatchIsAskedForWithAnyTrueSpellingOfGoParseBool(string spelling)
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = Http(cluster);

        using var response = await http.GetAsync($"/api/v1/namespaces/default/configmaps?watch={spelling}&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("ConfigMapList", body);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("tRUE")]
    [InlineData("2")]
    public async Task ABooleanQueryParameterGoCannotParseIsABadRequest(string spelling)
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = Http(cluster);

        using var response = await http.GetAsync($"/api/v1/namespaces/default/configmaps?watch={spelling}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ParseBool", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task KubectlDiffShowsWhatAnApplyWouldChangeAndChangesNothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("web.yaml", Manifests.DeploymentYaml);
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();
        var before = cluster.Host.Store.ResourceVersion;

        var same = await cluster.KubectlAsync("diff", "--server-side", "-f", manifest);
        cluster.Manifest("web.yaml", Manifests.DeploymentYaml.Replace("nginx:1.27", "nginx:1.28"));
        var changed = await cluster.KubectlAsync("diff", "--server-side", "-f", manifest);
        var clientSide = await cluster.KubectlAsync("diff", "-f", manifest);

        Assert.True(same.ExitCode == 0, same.Error + same.Output);
        Assert.True(changed.ExitCode == 1, changed.Error + changed.Output);
        Assert.True(changed.Output.Contains("-      - image: nginx:1.27", StringComparison.Ordinal), changed.Output);
        Assert.Contains("+      - image: nginx:1.28", changed.Output);
        Assert.Equal(1, clientSide.ExitCode);
        Assert.Contains("+      - image: nginx:1.28", clientSide.Output);
        Assert.Equal(before, cluster.Host.Store.ResourceVersion);
    }

    [Fact]
    public async Task DryRunIsHonouredOnStatusScaleAndServerSideApply()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");
        var before = cluster.Host.Store.ResourceVersion;

        var scaled = await k8s.AppsV1.PatchNamespacedDeploymentScaleAsync(
            new V1Patch("""{"spec":{"replicas":9}}""", V1Patch.PatchType.MergePatch), "web", "default", dryRun: "All");
        var status = await k8s.AppsV1.PatchNamespacedDeploymentStatusAsync(
            new V1Patch("""{"status":{"replicas":5}}""", V1Patch.PatchType.MergePatch), "web", "default", dryRun: "All");
        var applied = Manifests.Deployment("web", image: "nginx:2");
        var dryApplied = await k8s.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(applied, V1Patch.PatchType.ApplyPatch), "web", "default",
            fieldManager: "test", force: true, dryRun: "All");
        var created = await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default", dryRun: "All");

        Assert.Equal(9, scaled.Spec.Replicas);
        Assert.Equal(5, status.Status.Replicas);
        Assert.Equal("nginx:2", dryApplied.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("settings", created.Metadata.Name);
        Assert.Equal(before, cluster.Host.Store.ResourceVersion);
        var stored = await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        Assert.Equal(("nginx:1.27", 2), (stored.Spec.Template.Spec.Containers[0].Image, stored.Spec.Replicas));
        Assert.Empty((await k8s.CoreV1.ListNamespacedConfigMapAsync("default")).Items);
    }

    [Fact]
    public async Task ServerSideApplyRemovesProbesWholeOnceNoManagerAppliesThem()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("web.yaml", ProbedDeployment);
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();
        Assert.NotNull(Container(cluster)["readinessProbe"]);

        cluster.Manifest("web.yaml", WithoutProbes);
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();

        var container = Container(cluster);
        Assert.False(container.ContainsKey("readinessProbe"), container.ToJsonString());
        Assert.False(container.ContainsKey("livenessProbe"), container.ToJsonString());
        Assert.Equal("nginx:1.27", (string?)container["image"]);
    }

    [Fact]
    public async Task ServerSideApplyKeepsAnEmptyMapThatIsAppliedItself()
    {
        await using var cluster = await TestCluster.StartAsync();
        var manifest = cluster.Manifest("web.yaml", ProbedDeployment.Replace("              containers:", "              securityContext: {}\n              containers:"));
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();
        cluster.Manifest("web.yaml", WithoutProbes.Replace("              containers:", "              securityContext: {}\n              containers:"));
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();

        var spec = cluster.Host.Store.Get(ResourceTypes.Deployments, "default", "web")!["spec"]!["template"]!["spec"]!.AsObject();

        Assert.True(spec.ContainsKey("securityContext"));
        Assert.False(spec["containers"]![0]!.AsObject().ContainsKey("readinessProbe"));
    }

    [Fact]
    public async Task JsonPatchReplaceOfAKeyMissingFromAnExistingObjectSetsIt()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Host.Store.Create(ResourceTypes.Nodes, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "node-1" }, ["spec"] = new JsonObject() });

        (await cluster.KubectlAsync("patch", "node", "node-1", "--type=json", "-p", """[{"op":"replace","path":"/spec/unschedulable","value":true}]""")).Succeeded();

        Assert.True((await cluster.Client.CoreV1.ReadNodeAsync("node-1")).Spec.Unschedulable);
    }

    [Fact]
    public async Task JsonPatchStillRefusesPathsWhoseParentIsMissingAndRemovalsOfMissingKeys()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default");

        foreach (var patch in new[]
        {
            """[{"op":"replace","path":"/nothing/here","value":1}]""",
            """[{"op":"remove","path":"/data/absent"}]""",
        })
        {
            var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(
                new V1Patch(patch, V1Patch.PatchType.JsonPatch), "settings", "default"));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        }
    }

    private static JsonObject Container(TestCluster cluster) =>
        cluster.Host.Store.Get(ResourceTypes.Deployments, "default", "web")!["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();

    internal static HttpClient Http(TestCluster cluster)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        var http = new HttpClient(handler) { BaseAddress = new Uri(cluster.Host.ServerUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cluster.Host.Token);
        return http;
    }
}
