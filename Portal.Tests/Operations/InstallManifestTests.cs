using System.Diagnostics;
using System.Reflection;
using Portal.Cluster;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Portal.Tests.Operations;

/// <summary>The Kustomize overlays under <c>deploy/</c> render with kubectl and hold the shape an install needs.</summary>
public sealed partial class InstallManifestTests
{
    private static readonly string Root = RepositoryRoot.Folder;

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
        void Grant((string Group, string Resource) key, string verb)
        {
            if (!expected.TryGetValue(key, out var verbs))
            {
                expected[key] = verbs = [];
            }

            verbs.Add(verb);
        }

        // Every object a request renders (here with every option: secrets, autoscaling, a volume, a budget, an Ingress) is
        // applied with a server-side PATCH, and read and dry-run applied by the live diff (LiveDiff: typed calls for the
        // core group, the generic object calls for the others, so they do not show in the scan below).
        var spec = new RequestSpec
        {
            ImageRepository = "registry.example.com/payments/api",
            ImageTag = "v2",
            Autoscaling = new AutoscalingSpec(2, 8, 70, null),
            Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
            Secrets = [new SecretRef("DB_PASSWORD", 1)],
            ContainerPort = 8080,
            DisruptionBudget = new DisruptionBudgetSpec("1", null),
            Ingress = new IngressSpec("api.example.com", "/", IngressPathType.Prefix, null, null, null),
            Volumes = [new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteOnce)],
        };
        var manifests = ManifestBuilder.Build(new ManifestInput(1, "payments", "api", new DeploymentEnvironment { Name = "staging" }, spec, new Dictionary<string, string> { ["DB_PASSWORD"] = "x" }));
        foreach (var manifest in manifests.All())
        {
            var group = manifest.ApiVersion.Contains('/') ? manifest.ApiVersion[..manifest.ApiVersion.IndexOf('/')] : "";
            Grant((group, Plural(manifest.Kind)), "patch");
            Grant((group, Plural(manifest.Kind)), "get");
        }

        // Every typed KubernetesClient call in the portal's code: what it reads, lists, watches, patches and deletes (the
        // Lease calls excepted: leader election has a Role of its own in the portal's namespace).
        var calls = Directory.EnumerateFiles(Path.Combine(Root, "Portal"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => TypedCall().Matches(File.ReadAllText(f)))
            .Select(m => (Api: m.Groups["api"].Value, Verb: m.Groups["verb"].Value, Kind: m.Groups["kind"].Value))
            .Distinct()
            .ToList();
        Assert.Contains(calls, c => c is { Api: "CoreV1", Verb: "Read", Kind: "PodLog" });
        foreach (var (api, verb, kind) in calls)
        {
            var group = api switch
            {
                "CoreV1" => "",
                "AppsV1" => "apps",
                "AutoscalingV2" => "autoscaling",
                "NetworkingV1" => "networking.k8s.io",
                "PolicyV1" => "policy",
                "StorageV1" => "storage.k8s.io",
                _ => throw new InvalidOperationException($"The portal calls {api}: say here which API group it is."),
            };
            var resource = kind == "PodLog" ? "pods/log" : Plural(kind);
            Grant((group, resource), verb switch
            {
                "Read" => "get",
                "List" => "list",
                "WatchList" => "watch",
                "Patch" => "patch",
                "Delete" => "delete",
                _ => throw new InvalidOperationException(verb),
            });
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

    // Kubernetes' plural of a kind, as the live diff makes it: lower case, "es" after s, "ies" after y, else "s".
    private static string Plural(string kind)
    {
        var lower = kind.ToLowerInvariant();
        return lower.EndsWith('s') ? lower + "es" : lower.EndsWith('y') ? lower[..^1] + "ies" : lower + "s";
    }

    // client.CoreV1.PatchNamespacedSecretAsync, client.CoreV1.ListPodForAllNamespacesAsync, client.CoreV1.ListNodeAsync ...
    [System.Text.RegularExpressions.GeneratedRegex(@"\.(?<api>CoreV1|AppsV1|AutoscalingV2|AutoscalingV1|NetworkingV1|PolicyV1|BatchV1|StorageV1|RbacAuthorizationV1)\.(?<verb>WatchList|Patch|Delete|Read|List)(?:Namespaced)?(?<kind>[A-Z][A-Za-z]*?)(?:ForAllNamespaces)?Async\b")]
    private static partial System.Text.RegularExpressions.Regex TypedCall();

    private static List<string> Items(YamlNode node) => ((YamlSequenceNode)node).Children.Select(Text).ToList();
}
