using System.Text.Json;
using Portal.Cluster;
using Portal.Requests;
using Portal.Requests.Components;

namespace Portal.Tests.Hardening;

/// <summary>
/// Spec -> form -> spec is one mapping (<see cref="RequestForm.From"/> and <see cref="RequestForm.ToSpec"/>), used by the
/// form, re-submission and the API. These tests fail when a field of <see cref="RequestSpec"/> is not carried.
/// </summary>
public sealed class SpecMappingTests
{
    private static readonly RequestSpec Baseline = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v1",
        Replicas = 2,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        EnvVars = [new EnvVarSpec("LOG_LEVEL", "info")],
        Secrets = [new SecretRef("DB_PASSWORD", 7)],
        Readiness = new ProbeSpec("/healthz", 8080, 5),
        ContainerPort = 8080,
    };

    /// <summary>Every property set, and different from <see cref="Baseline"/> (fixed replicas).</summary>
    private static readonly RequestSpec Fixed = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v2.3.1",
        ImageDigest = "sha256:" + new string('a', 64),
        Replicas = 5,
        Resources = new ResourceSpec("100m", "1", "128Mi", "1Gi"),
        EnvVars = [new EnvVarSpec("A", "1"), new EnvVarSpec("B.c", "2")],
        Secrets = [new SecretRef("API_KEY", 3), new SecretRef("DB_PASSWORD", 7)],
        Readiness = new ProbeSpec("/ready", 9090, 3) { PeriodSeconds = 5, TimeoutSeconds = 2, SuccessThreshold = 2, FailureThreshold = 4 },
        Liveness = ProbeSpec.Tcp(9091, 20) with { FailureThreshold = 6 },
        Startup = ProbeSpec.Exec(["cat", "/tmp/started"], 1) with { PeriodSeconds = 2, FailureThreshold = 60 },
        ContainerPort = 9000,
        Strategy = new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "1", "0"),
        DisruptionBudget = new DisruptionBudgetSpec("50%", null),
        Ingress = new IngressSpec("api.payments.example.com", "/v1", IngressPathType.Exact, "api-tls", "letsencrypt", "nginx"),
        Volumes = [new VolumeSpec("data", "10Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce), new VolumeSpec("shared", "1Gi", "/srv/shared", "fast", VolumeAccessMode.ReadWriteMany)],
    };

    /// <summary>
    /// The same with autoscaling, the other side of the replicas/autoscaling choice, as a worker (the other kind: no port,
    /// so no Ingress either).
    /// </summary>
    private static readonly RequestSpec Autoscaled = Fixed with
    {
        Replicas = null, Autoscaling = new AutoscalingSpec(2, 6, 60, 75), Kind = Portal.Catalog.ServiceKind.Worker, ContainerPort = 0, Ingress = null,
    };

    [Fact]
    public void TheSamplesSetEverySpecField()
    {
        foreach (var property in typeof(RequestSpec).GetProperties().Where(p => p.CanWrite))
        {
            Assert.True(new[] { Fixed, Autoscaled }.Any(s => !Equals(Json(property.GetValue(s)), Json(property.GetValue(Baseline))) || property.Name == nameof(RequestSpec.ImageRepository)),
                $"No sample sets {property.Name} to something other than the baseline: add it to the samples (and to the mapping).");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EverySpecFieldSurvivesTheTripThroughTheForm(bool autoscaled)
    {
        var spec = autoscaled ? Autoscaled : Fixed;

        var back = RequestForm.From(spec, new Dictionary<int, SecretValueInfo>()).ToSpec(spec.ImageRepository, spec.ImageDigest, Kept(spec), _ => throw new InvalidOperationException("no new values"));

        AssertSameFields(spec, back);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResubmissionCarriesEverySpecField(bool autoscaled)
    {
        var earlierSpec = (autoscaled ? Autoscaled : Fixed) with { Secrets = Baseline.Secrets };
        var earlier = new DeploymentRequest { Id = 4, Environment = "staging", Spec = earlierSpec, SpecHash = earlierSpec.Hash(), ImageTag = earlierSpec.ImageTag, RequestedById = "", RequestedBy = "alice" };
        var current = RequestForm.From(Baseline, new Dictionary<int, SecretValueInfo>());

        var (form, _) = Resubmission.Reapply(current, earlier);

        AssertSameFields(earlierSpec, form.ToSpec(earlierSpec.ImageRepository, form.ImageDigest, Kept(Baseline), _ => throw new InvalidOperationException("no new values")));
    }

    [Fact]
    public void EverySpecFieldCanBeChangedThroughTheApi()
    {
        var change = new RequestChange(
            ImageTag: "v9", ImageDigest: "sha256:" + new string('b', 64), Replicas: 3, Autoscaling: new AutoscalingChange(2, 5, 50, 60),
            Resources: new ResourcesChange("100m", "1", "128Mi", "1Gi"), SetEnv: new() { ["NEW"] = "x" }, RemoveEnv: ["LOG_LEVEL"],
            SetSecrets: new() { ["TOKEN"] = "t" }, RemoveSecrets: ["DB_PASSWORD"], Readiness: new ProbeChange("/ready", 9090, 1), RemoveReadiness: false,
            Liveness: new ProbeChange("/live", 9091, 2), RemoveLiveness: false, ContainerPort: 9000, Comment: "all of it",
            Startup: new ProbeChange(Type: ProbeKind.Exec, Command: ["cat", "/tmp/started"], FailureThreshold: 50), RemoveStartup: false,
            Strategy: new StrategyChange(RolloutStrategyKind.Recreate), DisruptionBudget: new DisruptionBudgetChange(MaxUnavailable: "1"), RemoveDisruptionBudget: false,
            Ingress: new IngressChange("api.example.com", "/", IngressPathType.Prefix, "api-tls"), RemoveIngress: false,
            BreakGlassReason: "not a spec field: read by the approval policy, never stored in the spec",
            Volumes: [new VolumeChange("data", "2Gi", "/data")]);
        Assert.All(typeof(RequestChange).GetProperties(), p => Assert.True(p.GetValue(change) is not null, $"The sample change leaves {p.Name} out."));
        var form = RequestForm.From(Baseline, new Dictionary<int, SecretValueInfo>());

        RequestsApi.Apply(change, form);
        var spec = form.ToSpec(Baseline.ImageRepository, form.ImageDigest, Kept(Baseline), _ => 99);

        // The repository and the kind are the service's settings, not a request's.
        foreach (var property in typeof(RequestSpec).GetProperties().Where(p => p.CanWrite && p.Name is not nameof(RequestSpec.ImageRepository) and not nameof(RequestSpec.Kind)))
        {
            Assert.True(Json(property.GetValue(spec)) != Json(property.GetValue(Baseline)), $"The API cannot change {property.Name}.");
        }
    }

    [Theory]
    [InlineData(false, false, ApprovalAsk.Deploy, ApprovalRoute.ApproveNow, "staging needs no approval.")]
    [InlineData(true, false, ApprovalAsk.Deploy, ApprovalRoute.ApproverDecides, "staging requires an approval.")]
    [InlineData(true, false, ApprovalAsk.Rollback, ApprovalRoute.ApproverDecides, "staging requires an approval.")]
    [InlineData(true, true, ApprovalAsk.Rollback, ApprovalRoute.ApproveNow, "Rollback to revision 3, which was approved before.")]
    [InlineData(true, true, ApprovalAsk.Deploy, ApprovalRoute.ApproverDecides, "staging requires an approval.")]
    [InlineData(true, false, ApprovalAsk.AutomaticRollback, ApprovalRoute.ApproveNow, "Automatic rollback after a failed rollout.")]
    public void TheApprovalPolicyAnswersWithAReason(bool requiresApproval, bool rollbackSkips, ApprovalAsk ask, ApprovalRoute route, string reason)
    {
        var environment = new DeploymentEnvironment { Name = "staging", RequiresApproval = requiresApproval, RollbackSkipsApproval = rollbackSkips };

        var answer = ApprovalPolicy.Decide(new ApprovalQuestion(environment, ask, DateTimeOffset.UnixEpoch, RollbackToRevision: 3));

        Assert.Equal(new ApprovalAnswer(route, reason), answer);
    }

    [Fact]
    public void AnApprovalOfAnotherSpecIsRefusedAtApplyTime()
    {
        var request = new DeploymentRequest { Id = 9, Environment = "production", Spec = Fixed, SpecHash = Fixed.Hash(), ImageTag = "v2.3.1", RequestedById = "", RequestedBy = "alice" };
        request.Decisions.Add(new RequestDecision { Kind = DecisionKind.Approved, DecidedBy = "bob", SpecHash = Baseline.Hash(), Comment = "" });
        var environment = new DeploymentEnvironment { Name = "production", RequiresApproval = true };

        var refused = ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Apply, DateTimeOffset.UnixEpoch, Request: request));
        request.Decisions[0].SpecHash = Fixed.Hash();
        var allowed = ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Apply, DateTimeOffset.UnixEpoch, Request: request));

        Assert.Equal(ApprovalRoute.Refused, refused.Route);
        Assert.Contains("another change", refused.Reason);
        Assert.Equal(ApprovalRoute.ApproveNow, allowed.Route);
    }

    [Fact]
    public void AProbeStoredBeforeTcpAndExecReadsAsTheSameHttpProbeAndWritesTheSameJson()
    {
        const string stored = """{"imageRepository":"r/api","imageTag":"v1","imageDigest":null,"replicas":2,"autoscaling":null,"resources":{"cpuRequest":"250m","cpuLimit":"500m","memoryRequest":"256Mi","memoryLimit":"512Mi"},"envVars":[],"secrets":[],"readiness":{"path":"/healthz","port":8080,"initialDelaySeconds":5},"liveness":null,"containerPort":8080,"image":"r/api:v1"}""";

        var spec = RequestSpec.FromJson(stored);
        var form = RequestForm.From(spec, new Dictionary<int, SecretValueInfo>());
        var probe = Build(spec).Deployment.Spec.Template.Spec.Containers[0].ReadinessProbe;

        Assert.Equal(ProbeSpec.Http("/healthz", 8080, 5), spec.Readiness);
        Assert.Equal(ProbeKind.Http, spec.Readiness!.Kind);
        Assert.Null(spec.Startup);
        Assert.Null(spec.Strategy);
        Assert.Null(spec.Ingress);
        Assert.Null(spec.DisruptionBudget);
        Assert.Equal(stored, spec.ToJson());
        Assert.Equal((ProbeKind.Http, "/healthz", 8080, 5, 10, 3), (form.ReadinessKind, form.ReadinessPath, form.ReadinessPort, form.ReadinessInitialDelaySeconds, form.ReadinessPeriodSeconds, form.ReadinessFailureThreshold));
        Assert.Equal(stored, form.ToSpec("r/api", null, new Dictionary<string, int>(), _ => 0).ToJson());
        Assert.Equal(("/healthz", "8080"), (probe.HttpGet.Path, probe.HttpGet.Port.Value));
        Assert.Null(probe.TcpSocket);
        Assert.Null(probe.PeriodSeconds);
    }

    private static Manifests Build(RequestSpec spec) =>
        ManifestBuilder.Build(new ManifestInput(1, "payments", "api", new DeploymentEnvironment { Name = "staging" }, spec, new Dictionary<string, string>()));

    private static Dictionary<string, int> Kept(RequestSpec spec) => spec.Secrets.ToDictionary(s => s.Key, s => s.ValueId);

    private static void AssertSameFields(RequestSpec expected, RequestSpec actual)
    {
        foreach (var property in typeof(RequestSpec).GetProperties().Where(p => p.CanWrite))
        {
            Assert.True(Json(property.GetValue(expected)) == Json(property.GetValue(actual)), $"{property.Name} is not carried: {Json(property.GetValue(expected))} became {Json(property.GetValue(actual))}.");
        }
    }

    private static string Json(object? value) => JsonSerializer.Serialize(value);
}
