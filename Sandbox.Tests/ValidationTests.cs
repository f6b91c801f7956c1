using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>What an API server refuses, the Sandbox refuses too: 422 Invalid naming the field, and nothing stored.</summary>
public sealed class ValidationTests(ValidationTests.SharedCluster shared) : IClassFixture<ValidationTests.SharedCluster>
{
    /// <summary>One Sandbox for the whole class (starting one per case costs more than the cases); each test has its own namespace.</summary>
    public sealed class SharedCluster : IAsyncLifetime
    {
        private int next;

        internal TestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync();

        public async Task DisposeAsync() => await Cluster.DisposeAsync();

        internal async Task<string> NamespaceAsync()
        {
            var name = $"case-{Interlocked.Increment(ref next)}";
            await Cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
            return name;
        }
    }

    private TestCluster Cluster => shared.Cluster;

    public static TheoryData<string> BadConfigMapKeys => ["KEY\n", ".", "..", "..x", "a b", "key/slash", "", new string('k', 254), "ключ"];

    public static TheoryData<string> BadEnvVarNames => ["FOO\n", "1FOO", "FOO BAR", "FOO=1", ".", "..", "..X", "FOO$"];

    public static TheoryData<string, string> BadLabels => new()
    {
        { "app\n", "web" },
        { "app", "web\n" },
        { "-app", "web" },
        { "example.com/", "web" },
        { "Example.com/app", "web" },
        { "a/b/c", "web" },
        { new string('a', 64), "web" },
        { "app", new string('v', 64) },
        { "app", "-web" },
        { "app", "web app" },
    };

    [Theory]
    [MemberData(nameof(BadConfigMapKeys))]
    public async Task ConfigMapKeysTheApiServerRefusesAreInvalid(string key)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var configMap = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { [key] = "x" } };

        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(configMap, ns));

        Assert.Contains(status.Details.Causes, c => c.Field == $"data[{key}]" && c.Reason == "FieldValueInvalid");
        Assert.Contains($"data[{key}]", status.Message);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns)).Items);
    }

    [Theory]
    [MemberData(nameof(BadConfigMapKeys))]
    public async Task SecretKeysTheApiServerRefusesAreInvalidWhetherGivenAsDataOrStringData(string key)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var asData = new V1Secret { Metadata = new V1ObjectMeta { Name = "db" }, Data = new Dictionary<string, byte[]> { [key] = [1, 2] } };
        var asStringData = new V1Secret { Metadata = new V1ObjectMeta { Name = "db" }, StringData = new Dictionary<string, string> { [key] = "s3cret" } };

        foreach (var secret in new[] { asData, asStringData })
        {
            var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedSecretAsync(secret, ns));
            Assert.Contains(status.Details.Causes, c => c.Field == $"data[{key}]");
            Assert.DoesNotContain("s3cret", status.Message);
        }

        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns)).Items);
    }

    [Fact]
    public async Task ValidConfigMapKeysAreAccepted()
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var keys = new[] { "key.name", "KEY_NAME", "key-name", ".hidden", "a", new string('k', 253) };
        var configMap = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = keys.ToDictionary(k => k, _ => "x") };

        var created = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(configMap, ns);

        Assert.Equal(keys.Order(), created.Data.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(BadEnvVarNames))]
    public async Task EnvVarNamesInAPodTemplateTheApiServerRefusesAreInvalid(string name)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var deployment = Manifests.Deployment("web", ns: ns);
        deployment.Spec.Template.Spec.Containers[0].Env = [new V1EnvVar { Name = "OK", Value = "1" }, new V1EnvVar { Name = name, Value = "x" }];

        var status = await RefusedAsync(() => cluster.Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, ns));

        Assert.Contains(status.Details.Causes, c => c.Field == "spec.template.spec.containers[0].env[1].name");
        Assert.Contains("spec.template.spec.containers[0].env[1].name", status.Message);
        Assert.Empty((await cluster.Client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
    }

    [Fact]
    public async Task AnEnvVarNameMadeInvalidByAPatchIsRefusedAndTheStoredObjectIsKept()
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var created = await cluster.Client.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web", ns: ns), ns);
        var patch = new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"FOO\n","value":"x"}]}]}}}}""", V1Patch.PatchType.StrategicMergePatch);

        var status = await RefusedAsync(() => cluster.Client.AppsV1.PatchNamespacedDeploymentAsync(patch, "web", ns));

        Assert.Contains(status.Details.Causes, c => c.Field == "spec.template.spec.containers[0].env[0].name");
        var stored = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        Assert.Equal(created.Metadata.ResourceVersion, stored.Metadata.ResourceVersion);
        Assert.Null(stored.Spec.Template.Spec.Containers[0].Env);
    }

    [Theory]
    [MemberData(nameof(BadLabels))]
    public async Task LabelKeysAndValuesTheApiServerRefusesAreInvalid(string key, string value)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var configMap = Manifests.ConfigMap("settings", labels: new Dictionary<string, string> { [key] = value }, ns: ns);

        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(configMap, ns));

        Assert.Contains(status.Details.Causes, c => c.Field == "metadata.labels");
        Assert.Contains("metadata.labels", status.Message);
    }

    [Theory]
    [InlineData("web\n")]
    [InlineData("Web")]
    [InlineData("-web")]
    [InlineData("web_1")]
    [InlineData("web.")]
    public async Task ObjectNamesMustBeDns1123Subdomains(string name)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();

        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap(name, ns: ns), ns));

        Assert.Contains(status.Details.Causes, c => c.Field == "metadata.name");
    }

    [Fact]
    public async Task ObjectNamesMayBeDottedSubdomainsOfAtMost253Characters()
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..253];

        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings.v1", ns: ns), ns);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap(longest.TrimEnd('.'), ns: ns), ns);
        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap(longest + "a", ns: ns), ns));

        Assert.Contains("must be no more than 253 characters", status.Message);
    }

    [Theory]
    [InlineData("9lives")]
    [InlineData("web.v1")]
    [InlineData("web\n")]
    public async Task ServiceNamesMustBeDns1035Labels(string name)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] },
        };

        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedServiceAsync(service, ns));

        Assert.Contains(status.Details.Causes, c => c.Field == "metadata.name");
        Assert.Contains("DNS-1035 label", status.Message);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedServiceAsync(ns)).Items);
    }

    [Theory]
    [InlineData("shop.v1")]
    [InlineData("shop\n")]
    public async Task NamespaceNamesMustBeDns1123Labels(string name)
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();

        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }));

        Assert.Contains(status.Details.Causes, c => c.Field == "metadata.name");
        Assert.Contains("RFC 1123 label", status.Message);
    }

    [Fact]
    public async Task NamespaceNamesLongerThan63CharactersAreInvalid()
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();

        var status = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = new string('n', 64) } }));

        Assert.Contains("must be no more than 63 characters", status.Message);
    }

    [Fact]
    public async Task ServerSideApplyAndDryRunAreValidatedAlike()
    {
        var cluster = Cluster;
        var ns = await shared.NamespaceAsync();
        var configMap = new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "settings", NamespaceProperty = ns },
            Data = new Dictionary<string, string> { ["KEY\n"] = "x" },
        };

        var applied = await RefusedAsync(() => cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch(configMap, V1Patch.PatchType.ApplyPatch), "settings", ns, fieldManager: "test"));
        var dryRun = await RefusedAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(configMap, ns, dryRun: "All"));

        Assert.Contains(applied.Details.Causes, c => c.Field == "data[KEY\n]");
        Assert.Contains(dryRun.Details.Causes, c => c.Field == "data[KEY\n]");
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns)).Items);
    }

    private static async Task<V1Status> RefusedAsync<T>(Func<Task<T>> call)
    {
        var refused = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal(("Status", "Failure", "Invalid", 422), (status.Kind, status.Status, status.Reason, status.Code!.Value));
        Assert.NotEmpty(status.Details.Causes);
        return status;
    }
}
