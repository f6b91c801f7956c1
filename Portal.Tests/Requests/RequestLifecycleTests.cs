using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

public class RequestLifecycleTests : IAsyncLifetime
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private PortalApp app = null!;

    /// <summary>The database engine the tests run on (Portal.Tests/Data/OnPostgresTests runs them on PostgreSQL too).</summary>
    protected virtual PortalDatabase Database => PortalDatabase.Sqlite;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(Database, clock, ("Requests:ExpiryCheckInterval", "01:00:00"), ("Sandbox:Speed", "20"), ("Rollouts:PollInterval", "00:00:00.200"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ApplyingOneRequestSupersedesTheOthersAndTheyCannotBeApproved()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var first = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" })).SubmittedIdAsync();
        var second = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v2" })).SubmittedIdAsync();
        await bob.DecideAsync(first, "approve");

        await DeployAsync(first);
        var approveSecond = await bob.DecideAsync(second, "approve");

        Assert.Equal(HttpStatusCode.Conflict, approveSecond.StatusCode);
        Assert.Equal(RequestState.Superseded, await StateAsync(second));
        var reason = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == second && e.To == RequestState.Superseded).Select(e => e.Comment).SingleAsync());
        Assert.Equal($"Request #{first} was applied first.", reason);
    }

    [Fact]
    public async Task ApprovalIsRefusedWhenANewerRevisionWasDeployedSinceSubmission()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var deployed = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" })).SubmittedIdAsync();
        await DeployAsync(deployed);
        var waiting = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" })).SubmittedIdAsync();
        // A revision lands in production by a path that bypasses the supersede sweep (e.g. written by an older portal).
        await app.WithDbAsync(async db =>
        {
            var request = await db.DeploymentRequests.SingleAsync(r => r.Id == deployed);
            var copy = new DeploymentRequest
            {
                ServiceId = request.ServiceId, Environment = "production", State = RequestState.Succeeded, Spec = request.Spec, SpecHash = request.SpecHash,
                ImageTag = request.ImageTag, Revision = 1, RequestedById = request.RequestedById, RequestedBy = "alice", CreatedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(),
            };
            db.DeploymentRequests.Add(copy);
            return await db.SaveChangesAsync();
        });

        var response = await bob.DecideAsync(waiting, "approve");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("superseded", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(RequestState.Superseded, await StateAsync(waiting));
    }

    [Fact]
    public async Task RequestsWaitingLongerThanTheApprovalTimeoutExpire()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "old" })).SubmittedIdAsync();

        clock.Advance(TimeSpan.FromHours(73));
        var response = await bob.DecideAsync(id, "approve");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("expired", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(RequestState.Expired, await StateAsync(id));
    }

    [Fact]
    public async Task ExpirySweepMarksOverdueRequestsWithoutAnyoneActing()
    {
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "sleepy" })).SubmittedIdAsync();
        var young = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "young" })).SubmittedIdAsync();
        clock.Advance(TimeSpan.FromHours(71));
        var fresh = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "fresh" })).SubmittedIdAsync();

        // The hourly sweep of the background worker fires as the clock passes the 72 h mark.
        clock.Advance(TimeSpan.FromHours(2));

        await app.WaitForStateAsync(id, RequestState.Expired);
        Assert.Equal(RequestState.Expired, await StateAsync(young));
        Assert.Equal(RequestState.AwaitingApproval, await StateAsync(fresh));
        Assert.Equal("policy", await app.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == id && e.To == RequestState.Expired).Select(e => e.Actor).SingleAsync()));
    }

    [Fact]
    public async Task TwoApproversAtOnceYieldOneApprovalAndOneAlreadyDecided()
    {
        var carolPrincipal = await app.PrincipalAsync("carol");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var carol = await app.ClientAsync("carol");
        for (var round = 0; round < 5; round++)
        {
            var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = $"race-{round}" })).SubmittedIdAsync();

            var responses = await Task.WhenAll(bob.DecideAsync(id, "approve"), carol.DecideAsync(id, "approve"));

            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
            Assert.Equal(1, await app.WithDbAsync(db => db.RequestDecisions.CountAsync(d => d.RequestId == id)));
            // Approved, or already taken further by the apply worker.
            Assert.NotEqual(RequestState.AwaitingApproval, await StateAsync(id));
            Assert.Equal(DecisionKind.Approved, await app.WithDbAsync(db => db.RequestDecisions.Where(d => d.RequestId == id).Select(d => d.Kind).SingleAsync()));
            // The next round's request must be made on the revision this one becomes, or approving it finds it superseded.
            await app.MarkDeployedAsync(id);
        }

        Assert.NotNull(carolPrincipal);
    }

    [Fact]
    public async Task PartialChangeKeepsEverythingElseOfTheCurrentRevision()
    {
        var alice = await app.ClientAsync("alice");
        var first = await (await alice.SubmitAsync("payments", "payments-api", "staging", new
        {
            imageTag = "v1",
            replicas = 3,
            setEnv = new Dictionary<string, string> { ["LOG_LEVEL"] = "info" },
            setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = "first-password" },
        })).SubmittedIdAsync();
        await DeployAsync(first);

        var second = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v2" })).JsonAsync();

        Assert.Equal(["image v1 → v2"], second.GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(1, second.GetProperty("baseRevision").GetInt32());
        var (previous, next) = await app.WithDbAsync(async db => (
            (await db.DeploymentRequests.SingleAsync(r => r.Id == first)).Spec,
            (await db.DeploymentRequests.SingleAsync(r => r.Id == second.GetProperty("id").GetInt32())).Spec));
        Assert.Equal(previous with { ImageTag = "v2" }, next, RequestSpecComparer.Instance);
    }

    [Fact]
    public async Task ResubmittingTheCurrentStateIsRefusedAsNoChange()
    {
        var alice = await app.ClientAsync("alice");
        var first = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "same" })).SubmittedIdAsync();
        await DeployAsync(first);

        var again = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "same" });

        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("Nothing changes compared to revision", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EveryTransitionIsAuditedWithWhoFromAndTo()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "audited", comment = "release 42" })).SubmittedIdAsync();
        await bob.DecideAsync(id, "approve", "ok");
        await DeployAsync(id);

        var trail = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == id).OrderBy(e => e.Id).Select(e => new { e.Actor, e.From, e.To }).ToListAsync());

        Assert.Equal(
            [("alice", null, RequestState.Submitted), ("policy", RequestState.Submitted, RequestState.AwaitingApproval), ("bob", RequestState.AwaitingApproval, RequestState.Approved),
             ("apply-worker", RequestState.Approved, RequestState.Applying), ("apply-worker", RequestState.Applying, RequestState.RollingOut), ("rollout-tracker", RequestState.RollingOut, RequestState.Succeeded)],
            trail.Select(e => (e.Actor, (RequestState?)e.From, e.To)));
    }

    /// <summary>The apply worker applies the approved request to the embedded Sandbox and the tracker sees it through.</summary>
    private async Task DeployAsync(int id) => await app.WaitForStateAsync(id, RequestState.Succeeded);

    private Task<RequestState> StateAsync(int id) => app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync());

    private sealed class RequestSpecComparer : IEqualityComparer<RequestSpec>
    {
        public static readonly RequestSpecComparer Instance = new();

        public bool Equals(RequestSpec? x, RequestSpec? y) => x!.ToJson() == y!.ToJson();

        public int GetHashCode(RequestSpec obj) => obj.ToJson().GetHashCode();
    }
}
