using System.Diagnostics;
using System.Reflection;
using Portal.Cluster;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Portal.Tests.Operations;

/// <summary>The Kustomize overlays under <c>deploy/</c> render with kubectl and hold the shape an install needs.</summary>
public sealed class InstallManifestTests
{
    private static readonly string Root = RepositoryRoot.Folder;

    // Where each kind the portal touches lives in the API (group, resource).
    private static readonly Dictionary<string, (string Group, string Resource)> Resources = new()
    {
        ["Namespace"] = ("", "namespaces"),
        ["ConfigMap"] = ("", "configmaps"),
        ["Secret"] = ("", "secrets"),
        ["Service"] = ("", "services"),
        ["Deployment"] = ("apps", "deployments"),
        ["HorizontalPodAutoscaler"] = ("autoscaling", "horizontalpodautoscalers"),
        ["deployments"] = ("apps", "deployments"),
        ["replicasets"] = ("apps", "replicasets"),
        ["pods"] = ("", "pods"),
        ["events"] = ("", "events"),
        ["horizontalpodautoscalers"] = ("autoscaling", "horizontalpodautoscalers"),
    };

    [Theory]
    [InlineData("embedded")]
    [InlineData("ha")]
    public void BothOverlaysRenderEveryObjectOfAnInstall(string overlay)
    {
        var kinds = Render(overlay).Select(o => Text(o["kind"])).ToHashSet();

        Assert.Superset(
            new HashSet<string> { "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Ingress" },
            kinds);
        Assert.All(Render(overlay).Where(o => Text(o["kind"]) is not ("Namespace" or "ClusterRole" or "ClusterRoleBinding")),
            o => Assert.Equal("selfservice-portal", Text(o["metadata"]["namespace"])));
    }

    [Fact]
    public void TheClusterRoleGrantsExactlyTheVerbsThePortalUsesOnTheKindsItAppliesAndWatches()
    {
        var expected = new Dictionary<(string Group, string Resource), SortedSet<string>>();
        void Grant(string kind, string verb)
        {
            var key = Resources[kind];
            if (!expected.TryGetValue(key, out var verbs))
            {
                expected[key] = verbs = [];
            }

            verbs.Add(verb);
        }

        // Server-side apply is a PATCH of every object a request renders (with secrets and autoscaling: all of them).
        var spec = new RequestSpec
        {
            ImageRepository = "registry.example.com/payments/api",
            ImageTag = "v2",
            Autoscaling = new AutoscalingSpec(2, 8, 70, null),
            Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
            Secrets = [new SecretRef("DB_PASSWORD", 1)],
            ContainerPort = 8080,
        };
        var manifests = ManifestBuilder.Build(new ManifestInput(1, "payments", "api", new DeploymentEnvironment { Name = "staging" }, spec, new Dictionary<string, string> { ["DB_PASSWORD"] = "x" }));
        foreach (var manifest in manifests.All())
        {
            Grant(manifest.Kind, "patch");
        }

        // ClusterApplier deletes the Secret and the HPA when a request drops them.
        Grant("Secret", "delete");
        Grant("HorizontalPodAutoscaler", "delete");
        foreach (var watched in typeof(WatchedKind).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (WatchedKind)f.GetValue(null)!))
        {
            Grant(watched.Name, "list");
            Grant(watched.Name, "watch");
        }

        var clusterRole = Assert.Single(Render("ha"), o => Text(o["kind"]) == "ClusterRole");
        var granted = new Dictionary<(string Group, string Resource), SortedSet<string>>();
        foreach (var rule in ((YamlSequenceNode)clusterRole["rules"]).Cast<YamlMappingNode>())
        {
            foreach (var group in Items(rule["apiGroups"]))
            {
                foreach (var resource in Items(rule["resources"]))
                {
                    if (!granted.TryGetValue((group, resource), out var verbs))
                    {
                        granted[(group, resource)] = verbs = [];
                    }

                    verbs.UnionWith(Items(rule["verbs"]));
                }
            }
        }

        Assert.Equal(Describe(expected), Describe(granted));
        Assert.DoesNotContain("*", granted.Values.SelectMany(v => v));
    }

    [Fact]
    public void LeasesAreGrantedOnlyInThePortalsOwnNamespace()
    {
        var objects = Render("ha");
        var role = Assert.Single(objects, o => Text(o["kind"]) == "Role");
        var rule = Assert.Single(((YamlSequenceNode)role["rules"]).Cast<YamlMappingNode>());

        Assert.Equal(["coordination.k8s.io"], Items(rule["apiGroups"]));
        Assert.Equal(["leases"], Items(rule["resources"]));
        Assert.Equal(["create", "get", "update"], Items(rule["verbs"]).Order());
        Assert.Equal("selfservice-portal", Text(role["metadata"]["namespace"]));
        var binding = Assert.Single(objects, o => Text(o["kind"]) == "RoleBinding");
        Assert.Equal(Text(role["metadata"]["name"]), Text(binding["roleRef"]["name"]));
        Assert.Equal("selfservice-portal", Text(binding["subjects"][0]["name"]));
        var clusterBinding = Assert.Single(objects, o => Text(o["kind"]) == "ClusterRoleBinding");
        Assert.Equal("ServiceAccount", Text(clusterBinding["subjects"][0]["kind"]));
        Assert.Equal("selfservice-portal", Text(clusterBinding["subjects"][0]["name"]));
    }

    [Theory]
    [InlineData("embedded")]
    [InlineData("ha")]
    public void ThePortalRunsAsNonRootWithProbesOnHealthzAndReadyzAndResourceLimits(string overlay)
    {
        var objects = Render(overlay);
        var deployment = Assert.Single(objects, o => Text(o["kind"]) == "Deployment");
        var pod = (YamlMappingNode)deployment["spec"]["template"]["spec"];
        var container = Assert.Single(((YamlSequenceNode)pod["containers"]).Cast<YamlMappingNode>());

        Assert.Equal("true", Text(pod["securityContext"]["runAsNonRoot"]));
        Assert.NotEqual("0", Text(pod["securityContext"]["runAsUser"]));
        Assert.Equal("false", Text(container["securityContext"]["allowPrivilegeEscalation"]));
        Assert.Equal("true", Text(container["securityContext"]["readOnlyRootFilesystem"]));
        Assert.Equal(["ALL"], Items(container["securityContext"]["capabilities"]["drop"]));
        Assert.Equal("selfservice-portal", Text(pod["serviceAccountName"]));
        Assert.Equal("/healthz", Text(container["livenessProbe"]["httpGet"]["path"]));
        Assert.Equal("/readyz", Text(container["readinessProbe"]["httpGet"]["path"]));
        Assert.Equal("8080", Text(((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>().Single()["containerPort"]));
        foreach (var section in new[] { "requests", "limits" })
        {
            Assert.False(string.IsNullOrEmpty(Text(container["resources"][section]["cpu"])));
            Assert.False(string.IsNullOrEmpty(Text(container["resources"][section]["memory"])));
        }

        var labels = (YamlMappingNode)deployment["spec"]["template"]["metadata"]["labels"];
        foreach (var kind in new[] { "Service", "PodDisruptionBudget" })
        {
            var selector = (YamlMappingNode)(kind == "Service"
                ? Assert.Single(objects, o => Text(o["kind"]) == kind)["spec"]["selector"]
                : Assert.Single(objects, o => Text(o["kind"]) == kind)["spec"]["selector"]["matchLabels"]);
            Assert.All(selector.Children, pair => Assert.Equal(Text(pair.Value), Text(labels[pair.Key])));
        }
    }

    [Fact]
    public void TheIngressPinsEachBrowserToOneInstanceWithACookie()
    {
        var ingress = Assert.Single(Render("ha"), o => Text(o["kind"]) == "Ingress");
        var annotations = (YamlMappingNode)ingress["metadata"]["annotations"];

        Assert.Equal("cookie", Text(annotations["nginx.ingress.kubernetes.io/affinity"]));
        Assert.Equal("persistent", Text(annotations["nginx.ingress.kubernetes.io/affinity-mode"]));
        Assert.False(string.IsNullOrEmpty(Text(annotations["nginx.ingress.kubernetes.io/session-cookie-name"])));
        var backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
        Assert.Equal("selfservice-portal", Text(backend["name"]));
    }

    [Fact]
    public void EmbeddedRunsOneInstanceWithItsSqliteFileOnAPersistentVolume()
    {
        var objects = Render("embedded");
        var deployment = Assert.Single(objects, o => Text(o["kind"]) == "Deployment");
        var pod = deployment["spec"]["template"]["spec"];
        var claim = Assert.Single(objects, o => Text(o["kind"]) == "PersistentVolumeClaim");
        var config = Assert.Single(objects, o => Text(o["kind"]) == "ConfigMap");
        var dataMount = Assert.Single(((YamlSequenceNode)pod["containers"][0]["volumeMounts"]).Cast<YamlMappingNode>(), m => Text(m["mountPath"]) == "/data");
        var dataVolume = Assert.Single(((YamlSequenceNode)pod["volumes"]).Cast<YamlMappingNode>(), v => Text(v["name"]) == Text(dataMount["name"]));

        Assert.Equal("1", Text(deployment["spec"]["replicas"]));
        Assert.Equal("Recreate", Text(deployment["spec"]["strategy"]["type"]));
        Assert.Equal(Text(claim["metadata"]["name"]), Text(dataVolume["persistentVolumeClaim"]["claimName"]));
        Assert.False(dataVolume.Children.ContainsKey("emptyDir"));
        Assert.Equal("/data", Text(config["data"]["Portal__DataDirectory"]));
        Assert.False(((YamlMappingNode)config["data"]).Children.ContainsKey("Database__Provider"));
    }

    [Fact]
    public void HaRunsTwoInstancesOnPostgresAndRedisWithConnectionStringsFromASecret()
    {
        var objects = Render("ha");
        var deployment = Assert.Single(objects, o => Text(o["kind"]) == "Deployment");
        var container = deployment["spec"]["template"]["spec"]["containers"][0];
        var config = (YamlMappingNode)Assert.Single(objects, o => Text(o["kind"]) == "ConfigMap")["data"];
        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => Text(e["name"]));

        Assert.Equal("2", Text(deployment["spec"]["replicas"]));
        foreach (var name in new[] { "ConnectionStrings__Portal", "ConnectionStrings__Redis" })
        {
            var reference = env[name]["valueFrom"]["secretKeyRef"];
            Assert.Equal("selfservice-portal-connections", Text(reference["name"]));
            Assert.Equal(name, Text(reference["key"]));
            Assert.False(config.Children.ContainsKey(name));
        }

        Assert.Equal("Postgres", Text(config["Database__Provider"]));
        Assert.Equal("true", Text(config["Leadership__Enabled"]));
        Assert.Equal("selfservice-portal", Text(config["Leadership__Namespace"]));
        Assert.Equal("true", Text(config["Clusters__default__InCluster"]));
        Assert.Equal("configMapRef", Assert.Single(((YamlSequenceNode)container["envFrom"]).Cast<YamlMappingNode>()).Children.Keys.Select(Text).Single());
        Assert.DoesNotContain(objects, o => Text(o["kind"]) == "Secret");
    }

    /// <summary>The objects <c>kubectl kustomize deploy/overlays/{overlay}</c> prints.</summary>
    internal static List<YamlMappingNode> Render(string overlay)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(Path.Combine(Root, "deploy", "overlays", overlay));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "kubectl kustomize did not finish within 60s");
        Assert.True(process.ExitCode == 0, $"kubectl kustomize failed: {error.Result}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output.Result));
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static string Describe(Dictionary<(string Group, string Resource), SortedSet<string>> grants) =>
        string.Join("\n", grants.OrderBy(g => g.Key.Group).ThenBy(g => g.Key.Resource).Select(g => $"{g.Key.Group}/{g.Key.Resource}: {string.Join(",", g.Value)}"));

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static List<string> Items(YamlNode node) => ((YamlSequenceNode)node).Children.Select(Text).ToList();
}
