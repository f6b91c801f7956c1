using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Workloads;

/// <summary>Workers and volumes through the API, applied to the embedded Sandbox over HTTPS and checked there with kubectl.</summary>
public sealed class WorkloadApiTests : IAsyncLifetime
{
    private PortalApp app = null!;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(
        ("Sandbox:Speed", "20"),
        ("Rollouts:PollInterval", "00:00:00.200"),
        ("Environments:0:Name", "staging"),
        ("Environments:0:ProgressDeadlineSeconds", "60"),
        ("Environments:1:Name", "production"),
        ("Environments:1:RequiresApproval", "true"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task AWorkerRegisteredOverTheApiRollsOutWithNoServiceObject()
    {
        var alice = await app.ClientAsync("alice");

        var registered = await alice.PostAsJsonAsync("/api/teams/payments/services", new { name = "queue-worker", imageRepository = "registry.example.com/payments/queue-worker", kind = "worker" });

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var body = await registered.JsonAsync();
        Assert.Equal("Worker", body.GetProperty("kind").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("containerPort").ValueKind);

        var id = await (await alice.SubmitAsync("payments", "queue-worker", "staging", new { imageTag = "v1", replicas = 2 })).SubmittedIdAsync();
        await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(60));

        var objects = app.Kubectl("get deploy,svc -n payments-staging -o name");
        Assert.Contains("deployment.apps/queue-worker", objects);
        Assert.DoesNotContain("service/queue-worker", objects);
        Assert.Equal("", app.Kubectl("get deploy queue-worker -n payments-staging -o jsonpath={.spec.template.spec.containers[0].ports}"));
        var spec = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.Spec).SingleAsync());
        Assert.Equal((Portal.Catalog.ServiceKind.Worker, 0), (spec.Kind, spec.ContainerPort));
    }

    [Fact]
    public async Task AWebServiceRegisteredOverTheApiNeedsAPort()
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.PostAsJsonAsync("/api/teams/payments/services", new { name = "no-port", imageRepository = "registry.example.com/payments/no-port", kind = "web", containerPort = 0 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("between 1 and 65535", (await response.JsonAsync()).GetProperty("errors").GetProperty("ContainerPort")[0].GetString());
        Assert.False(await app.WithDbAsync(db => db.Services.AnyAsync(s => s.Name == "no-port")));
    }

    [Fact]
    public async Task VolumesBecomeBoundClaimsMayGrowAndAShrinkIsRefusedNamingTheField()
    {
        var alice = await app.ClientAsync("alice");
        await alice.PostAsJsonAsync("/api/teams/payments/services", new { name = "ledger-db", imageRepository = "registry.example.com/payments/ledger-db", containerPort = 5432 });
        var volume = new { name = "data", size = "1Gi", mountPath = "/var/lib/postgresql/data" };

        var first = await (await alice.SubmitAsync("payments", "ledger-db", "staging",
            new { imageTag = "v1", replicas = 1, strategy = new { type = "Recreate" }, volumes = new[] { volume } })).SubmittedIdAsync();

        await app.WaitForStateAsync(first, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(() => Task.FromResult(app.Kubectl("get pvc ledger-db-data -n payments-staging -o jsonpath={.status.phase}") == "Bound"), TimeSpan.FromSeconds(30), "The claim is not Bound.", every: TimeSpan.FromMilliseconds(500));
        Assert.Equal("1Gi", app.Kubectl("get pvc ledger-db-data -n payments-staging -o jsonpath={.spec.resources.requests.storage}"));
        Assert.Equal("ledger-db-data", app.Kubectl("get deploy ledger-db -n payments-staging -o jsonpath={.spec.template.spec.volumes[0].persistentVolumeClaim.claimName}"));
        Assert.Equal("/var/lib/postgresql/data", app.Kubectl("get deploy ledger-db -n payments-staging -o jsonpath={.spec.template.spec.containers[0].volumeMounts[0].mountPath}"));

        var requestsBefore = await app.WithDbAsync(db => db.DeploymentRequests.CountAsync());
        var shrink = await alice.SubmitAsync("payments", "ledger-db", "staging", new { volumes = new[] { volume with { size = "512Mi" } } });

        Assert.Equal(HttpStatusCode.BadRequest, shrink.StatusCode);
        var problem = await shrink.JsonAsync();
        Assert.Contains("never shrink", problem.GetProperty("errors").GetProperty("Volumes[0].Size")[0].GetString());
        Assert.Equal(requestsBefore, await app.WithDbAsync(db => db.DeploymentRequests.CountAsync()));

        var grow = await (await alice.SubmitAsync("payments", "ledger-db", "staging", new { volumes = new[] { volume with { size = "2Gi" } } })).SubmittedIdAsync();
        await app.WaitForStateAsync(grow, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        Assert.Equal("2Gi", app.Kubectl("get pvc ledger-db-data -n payments-staging -o jsonpath={.spec.resources.requests.storage}"));

        // Removing the volume unmounts it; the claim and its data stay.
        var removed = await alice.SubmitAsync("payments", "ledger-db", "staging", new { volumes = Array.Empty<object>() });
        var removedId = await removed.SubmittedIdAsync();
        var detail = await (await alice.GetAsync($"/api/requests/{removedId}")).JsonAsync();
        Assert.Contains(detail.GetProperty("risks").EnumerateArray(), r => r.GetString()!.Contains("its data are kept", StringComparison.Ordinal));
        await app.WaitForStateAsync(removedId, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        Assert.Equal("Bound", app.Kubectl("get pvc ledger-db-data -n payments-staging -o jsonpath={.status.phase}"));
    }

    [Fact]
    public async Task ANewVolumeNamingAStorageClassTheClusterLacksIsRefusedNamingTheFieldAndAKnownOneIsTaken()
    {
        var alice = await app.ClientAsync("alice");
        await alice.PostAsJsonAsync("/api/teams/payments/services", new { name = "class-db", imageRepository = "registry.example.com/payments/class-db", containerPort = 5432 });
        var requestsBefore = await app.WithDbAsync(db => db.DeploymentRequests.CountAsync());

        var missing = await alice.SubmitAsync("payments", "class-db", "staging",
            new { imageTag = "v1", replicas = 1, volumes = new[] { new { name = "data", size = "1Gi", mountPath = "/data", storageClass = "fast-ssd" } } });

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var message = (await missing.JsonAsync()).GetProperty("errors").GetProperty("Volumes[0].StorageClass")[0].GetString()!;
        Assert.Contains("no storage class fast-ssd", message, StringComparison.Ordinal);
        Assert.Contains("standard (default)", message, StringComparison.Ordinal);
        Assert.Equal(requestsBefore, await app.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
        Assert.Equal("", app.Kubectl("get pvc -n payments-staging -l app.kubernetes.io/name=class-db -o name"));

        var known = await (await alice.SubmitAsync("payments", "class-db", "staging",
            new { imageTag = "v1", replicas = 1, volumes = new[] { new { name = "data", size = "1Gi", mountPath = "/data", storageClass = "standard" } } })).SubmittedIdAsync();
        await app.WaitForStateAsync(known, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        Assert.Equal("standard", app.Kubectl("get pvc class-db-data -n payments-staging -o jsonpath={.spec.storageClassName}"));
    }

    [Fact]
    public async Task TheApproverSeesTheReadWriteOnceFlagsOnTheRequest()
    {
        var alice = await app.ClientAsync("alice");
        await alice.PostAsJsonAsync("/api/teams/payments/services", new { name = "rwo-api", imageRepository = "registry.example.com/payments/rwo-api", containerPort = 8080 });

        var id = await (await alice.SubmitAsync("payments", "rwo-api", "production",
            new { imageTag = "v1", replicas = 3, volumes = new[] { new { name = "cache", size = "1Gi", mountPath = "/cache" } } })).SubmittedIdAsync();

        var bob = await app.ClientAsync("bob");
        var risks = (await (await bob.GetAsync($"/api/requests/{id}")).JsonAsync()).GetProperty("risks").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(risks, r => r.Contains("3 replicas cannot all use it", StringComparison.Ordinal));
        Assert.Contains(risks, r => r.Contains("Use the Recreate strategy", StringComparison.Ordinal));
    }
}
