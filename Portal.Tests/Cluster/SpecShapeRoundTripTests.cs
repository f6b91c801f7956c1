using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Portal.Cluster;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cluster;

/// <summary>
/// Ingress, disruption budget, strategy and probes go form → request → apply to the embedded Sandbox, and read back from the
/// Sandbox's Deployment, Ingress and PodDisruptionBudget they give the same form.
/// </summary>
public sealed class SpecShapeRoundTripTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task IngressBudgetStrategyAndProbesRoundTripFromTheFormThroughTheClusterBackToTheForm()
    {
        const string service = "shape-trip";
        await app.RegisterServiceAsync(service);
        RequestForm submitted = null!;
        var request = await app.SubmitRequestAsync("alice", service, "staging", form =>
        {
            submitted = form;
            (form.ImageTag, form.Replicas, form.MinReplicas, form.MaxReplicas) = ("v1", 3, 3, 3);
            (form.IngressEnabled, form.IngressHost, form.IngressPath, form.IngressPathType) = (true, "shape-trip.example.com", "/api", IngressPathType.Exact);
            (form.IngressTlsSecretName, form.IngressClusterIssuer, form.IngressClassName) = ("shape-trip-tls", "letsencrypt", "nginx");
            (form.MaxSurge, form.MaxUnavailable) = ("1", "0");
            (form.DisruptionBudgetEnabled, form.DisruptionBudgetMode, form.DisruptionBudgetValue) = (true, DisruptionBudgetMode.MinAvailable, "50%");
            form.SetProbe(ProbeRole.Readiness, form.ProbeOf(ProbeRole.Readiness) with { Enabled = true, Kind = ProbeKind.Tcp, PeriodSeconds = 5, SuccessThreshold = 2 });
            form.SetProbe(ProbeRole.Liveness, form.ProbeOf(ProbeRole.Liveness) with { Enabled = true, Kind = ProbeKind.Exec, Command = "cat\n/tmp/healthy", TimeoutSeconds = 3 });
            form.SetProbe(ProbeRole.Startup, form.ProbeOf(ProbeRole.Startup) with { Enabled = true, Kind = ProbeKind.Http, Path = "/started", FailureThreshold = 40 });
        });
        await app.WaitForStateAsync(request.Id, RequestState.Succeeded, TimeSpan.FromSeconds(90));

        var (deployment, ingress, budget) = await ReadAsync(service);
        var back = ClusterReadBack.Spec(request.Spec, deployment, ingress, budget);

        Assert.Equal(request.Spec.ToJson(), back.ToJson());
        AssertSameForm(submitted, RequestForm.From(back, new Dictionary<int, SecretValueInfo>()));
        Assert.Equal("50%", budget!.Spec.MinAvailable.Value);
        Assert.Equal("0", deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);

        // Turning them off again: the Ingress and the budget are deleted, and Recreate drops the rolling-update settings.
        var off = await app.SubmitRequestAsync("alice", service, "staging", form =>
        {
            (form.IngressEnabled, form.DisruptionBudgetEnabled, form.Strategy) = (false, false, RolloutStrategyKind.Recreate);
            form.SetProbe(ProbeRole.Startup, form.ProbeOf(ProbeRole.Startup) with { Enabled = false });
        });
        await app.WaitForStateAsync(off.Id, RequestState.Succeeded, TimeSpan.FromSeconds(90));
        var (after, noIngress, noBudget) = await ReadAsync(service);

        Assert.Null(noIngress);
        Assert.Null(noBudget);
        Assert.Equal("Recreate", after.Spec.Strategy.Type);
        Assert.Null(after.Spec.Strategy.RollingUpdate);
        Assert.Null(after.Spec.Template.Spec.Containers[0].StartupProbe);
        Assert.Equal(off.Spec.ToJson(), ClusterReadBack.Spec(off.Spec, after, null, null).ToJson());
    }

    [Fact]
    public async Task AHostAndPathIsTheAddressOfOneServiceInAnEnvironment()
    {
        await app.RegisterServiceAsync("host-first");
        await app.RegisterServiceAsync("host-second");
        var alice = await app.ClientAsync("alice");
        var ingress = new { host = "unique.example.com", path = "/" };
        // The first one waits for an approval in production: an open request holds the address too.
        var first = await alice.SubmitAsync("payments", "host-first", "production", new { imageTag = "v1", ingress });

        var taken = await alice.SubmitAsync("payments", "host-second", "production", new { imageTag = "v1", ingress });
        var otherPath = await alice.SubmitAsync("payments", "host-second", "production", new { imageTag = "v1", ingress = new { host = "unique.example.com", path = "/admin" } });
        var otherEnvironment = await alice.SubmitAsync("payments", "host-second", "staging", new { imageTag = "v1", ingress });
        var sameServiceAgain = await alice.SubmitAsync("payments", "host-first", "production", new { imageTag = "v2", ingress });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        var problem = await taken.Content.ReadAsStringAsync();
        Assert.Contains("\"IngressHost\"", problem);
        Assert.Contains("payments/host-first", problem);
        Assert.Equal(HttpStatusCode.Created, otherPath.StatusCode);
        Assert.Equal(HttpStatusCode.Created, otherEnvironment.StatusCode);
        Assert.Equal(HttpStatusCode.Created, sameServiceAgain.StatusCode);
    }

    [Fact]
    public async Task AnotherTeamsServiceHoldingTheHostIsNotNamed()
    {
        await app.RegisterServiceAsync("host-payments");
        var dave = await app.ClientAsync("dave");
        var alice = await app.ClientAsync("alice");
        var ingress = new { host = "shared.example.com" };
        Assert.Equal(HttpStatusCode.Created, (await dave.SubmitAsync("search", "search-indexer", "production", new { imageTag = "v1", ingress })).StatusCode);

        var taken = await alice.SubmitAsync("payments", "host-payments", "production", new { imageTag = "v1", ingress });
        var problem = await taken.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("another team's service", problem);
        Assert.DoesNotContain("search-indexer", problem);
    }

    private async Task<(V1Deployment, V1Ingress?, V1PodDisruptionBudget?)> ReadAsync(string service)
    {
        var client = await app.Get<ClusterConnections>().ConnectAsync("default");
        const string ns = "payments-staging";
        return (await client.AppsV1.ReadNamespacedDeploymentAsync(service, ns),
            await OrNullAsync(() => client.NetworkingV1.ReadNamespacedIngressAsync(service, ns)),
            await OrNullAsync(() => client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync(service, ns)));
    }

    private static async Task<T?> OrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static void AssertSameForm(RequestForm expected, RequestForm actual)
    {
        foreach (var property in typeof(RequestForm).GetProperties().Where(p => p.CanWrite && p.Name is not nameof(RequestForm.Comment) and not nameof(RequestForm.ImageDigest)))
        {
            var (a, b) = (System.Text.Json.JsonSerializer.Serialize(property.GetValue(expected)), System.Text.Json.JsonSerializer.Serialize(property.GetValue(actual)));
            if (property.Name is nameof(RequestForm.Secrets))
            {
                continue;
            }

            Assert.True(a == b, $"{property.Name}: the form said {a}, the cluster gives {b}.");
        }
    }
}

/// <summary>The spec fields of the live objects, with Kubernetes' defaults read as "not set", as the form leaves them.</summary>
public static class ClusterReadBack
{
    public static RequestSpec Spec(RequestSpec applied, V1Deployment deployment, V1Ingress? ingress, V1PodDisruptionBudget? budget)
    {
        var container = deployment.Spec.Template.Spec.Containers.Single();
        var strategy = deployment.Spec.Strategy;
        return applied with
        {
            Readiness = Probe(container.ReadinessProbe),
            Liveness = Probe(container.LivenessProbe),
            Startup = Probe(container.StartupProbe),
            Strategy = strategy switch
            {
                null => null,
                { Type: "Recreate" } => new RolloutStrategySpec(RolloutStrategyKind.Recreate, null, null),
                { RollingUpdate: var rolling } when (rolling?.MaxSurge?.Value ?? "25%") == "25%" && (rolling?.MaxUnavailable?.Value ?? "25%") == "25%" => null,
                _ => new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, strategy.RollingUpdate.MaxSurge?.Value, strategy.RollingUpdate.MaxUnavailable?.Value),
            },
            DisruptionBudget = budget is null ? null : new DisruptionBudgetSpec(budget.Spec.MinAvailable?.Value, budget.Spec.MaxUnavailable?.Value),
            Ingress = ingress is null ? null : Ingress(ingress),
        };
    }

    private static IngressSpec Ingress(V1Ingress ingress)
    {
        var rule = ingress.Spec.Rules.Single();
        var path = rule.Http.Paths.Single();
        return new IngressSpec(rule.Host, path.Path, Enum.Parse<IngressPathType>(path.PathType), ingress.Spec.Tls?.SingleOrDefault()?.SecretName,
            ingress.Metadata.Annotations?.TryGetValue(ManifestBuilder.ClusterIssuerAnnotation, out var issuer) == true ? issuer : null, ingress.Spec.IngressClassName);
    }

    private static ProbeSpec? Probe(V1Probe? probe)
    {
        if (probe is null)
        {
            return null;
        }

        var spec = probe switch
        {
            { HttpGet: { } http } => ProbeSpec.Http(http.Path, int.Parse(http.Port.Value, System.Globalization.CultureInfo.InvariantCulture), probe.InitialDelaySeconds ?? 0),
            { TcpSocket: { } tcp } => ProbeSpec.Tcp(int.Parse(tcp.Port.Value, System.Globalization.CultureInfo.InvariantCulture), probe.InitialDelaySeconds ?? 0),
            _ => ProbeSpec.Exec([.. probe.Exec.Command], probe.InitialDelaySeconds ?? 0),
        };
        return spec with
        {
            PeriodSeconds = probe.PeriodSeconds is { } period && period != ProbeSpec.DefaultPeriodSeconds ? period : null,
            TimeoutSeconds = probe.TimeoutSeconds is { } timeout && timeout != ProbeSpec.DefaultTimeoutSeconds ? timeout : null,
            SuccessThreshold = probe.SuccessThreshold is { } success && success != ProbeSpec.DefaultSuccessThreshold ? success : null,
            FailureThreshold = probe.FailureThreshold is { } failure && failure != ProbeSpec.DefaultFailureThreshold ? failure : null,
        };
    }
}
