using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Releases;

/// <summary>Freeze windows through the API and the real request path, on a portal whose clock the test moves.</summary>
public sealed class FreezeApiTests : IAsyncDisposable
{
    // A Tuesday.
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private PortalApp? app;

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task SubmitDuringAOneOffFreezeIsRefusedWithTheReasonAndTheEndAndAcceptedAfterIt()
    {
        var portal = await StartAsync();
        var carol = await portal.ClientAsync("carol");
        var alice = await portal.ClientAsync("alice");
        await FreezeAsync(carol, "staging", "Black Friday traffic");
        var before = await portal.WithDbAsync(db => db.DeploymentRequests.CountAsync());

        var refused = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" });

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var detail = (await refused.JsonAsync()).GetProperty("detail").GetString();
        Assert.Contains("Black Friday traffic", detail);
        Assert.Contains("frozen until 2026-11-24 11:00 +00:00", detail);
        Assert.Equal(before, await portal.WithDbAsync(db => db.DeploymentRequests.CountAsync()));

        clock.Advance(TimeSpan.FromHours(2));
        var accepted = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" });
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task ARecurringConfiguredWindowInBerlinRefusesOnFridayEveningUntilMondayMorningLocalTime()
    {
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 27, 15, 30, 0, TimeSpan.Zero)); // Friday 16:30 in Berlin
        var portal = await StartAsync(
            ("Environments:1:FreezeWindows:0:StartDay", "Friday"),
            ("Environments:1:FreezeWindows:0:StartTime", "16:00"),
            ("Environments:1:FreezeWindows:0:EndDay", "Monday"),
            ("Environments:1:FreezeWindows:0:EndTime", "08:00"),
            ("Environments:1:FreezeWindows:0:TimeZone", "Europe/Berlin"),
            ("Environments:1:FreezeWindows:0:Reason", "No weekend releases"));
        var alice = await portal.ClientAsync("alice");

        var refused = await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" });
        var staging = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" });

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var detail = (await refused.JsonAsync()).GetProperty("detail").GetString();
        Assert.Contains("No weekend releases", detail);
        Assert.Contains("until 2026-11-30 08:00 +01:00", detail);
        Assert.Equal(HttpStatusCode.Created, staging.StatusCode);

        clock.SetUtcNow(new DateTimeOffset(2026, 11, 30, 7, 0, 0, TimeSpan.Zero)); // Monday 08:00 in Berlin
        Assert.Equal(HttpStatusCode.Created, (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" })).StatusCode);
    }

    [Fact]
    public async Task ApproveDuringAFreezeIsRefusedAndTheRequestKeepsWaiting()
    {
        var portal = await StartAsync();
        var alice = await portal.ClientAsync("alice");
        var bob = await portal.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" })).SubmittedIdAsync();
        await FreezeAsync(await portal.ClientAsync("carol"), "production", "Quarter close");

        var response = await bob.DecideAsync(id, "approve");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var detail = (await response.JsonAsync()).GetProperty("detail").GetString();
        Assert.Contains("Quarter close", detail);
        Assert.Contains("until 2026-11-24 11:00 +00:00", detail);
        Assert.Equal(RequestState.AwaitingApproval, await portal.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task AnApprovedRequestFoundDuringAFreezeIsRefusedAtApplyTimeWithTheReason()
    {
        var portal = await StartAsync();
        var alice = await portal.ClientAsync("alice");
        var model = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" })).SubmittedIdAsync();
        await portal.WaitForStateAsync(model, RequestState.Succeeded);
        await FreezeAsync(await portal.ClientAsync("carol"), "staging", "Data centre move");

        // Approved before the freeze began (e.g. by an older instance), found by the worker during it.
        var id = await portal.WithDbAsync(async db =>
        {
            var source = await db.DeploymentRequests.SingleAsync(r => r.Id == model);
            var spec = source.Spec with { ImageTag = "v2" };
            var request = new DeploymentRequest
            {
                ServiceId = source.ServiceId, Environment = "staging", State = RequestState.Approved, Spec = spec, SpecHash = spec.Hash(), ImageTag = "v2", BaseRevision = 1,
                RequestedById = source.RequestedById, RequestedBy = "alice", CreatedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(),
            };
            request.Decisions.Add(new RequestDecision { Kind = DecisionKind.Approved, DecidedBy = "policy", DecidedAt = clock.GetUtcNow(), SpecHash = spec.Hash(), BaseRevision = 1 });
            db.DeploymentRequests.Add(request);
            await db.SaveChangesAsync();
            return request.Id;
        });

        await portal.WaitForStateAsync(id, RequestState.Failed);
        var reason = await portal.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == id && e.To == RequestState.Failed).Select(e => e.Comment).SingleAsync());
        Assert.Contains("Data centre move", reason);
        Assert.Contains($"Request #{id} is not applied", reason);
        Assert.Contains("until 2026-11-24 11:00 +00:00", reason);
    }

    [Fact]
    public async Task BreakGlassNeedsAnAdminAndAReasonAndIsRecordedFlaggedAndAudited()
    {
        var portal = await StartAsync();
        var carol = await portal.ClientAsync("carol");
        var alice = await portal.ClientAsync("alice");
        await FreezeAsync(carol, "staging", "Incident review");

        var noReason = await carol.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", breakGlassReason = "  " });
        var notAdmin = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", breakGlassReason = "I want to" });
        var broken = await carol.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", breakGlassReason = "Hotfix for the payment outage" });

        Assert.Equal(HttpStatusCode.Conflict, noReason.StatusCode);
        Assert.Contains("an Admin can break the glass with a reason", (await noReason.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        var id = await broken.SubmittedIdAsync();
        await portal.WaitForStateAsync(id, RequestState.Succeeded);
        Assert.Equal("Hotfix for the payment outage", await portal.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.BreakGlassReason).SingleAsync()));
        var audit = await portal.WithDbAsync(db => db.AuditEvents.SingleAsync(e => e.RequestId == id && e.Action == "BreakGlass"));
        Assert.Equal("carol", audit.Actor);
        Assert.Contains("Hotfix for the payment outage", audit.Comment);
        Assert.Contains("Incident review", audit.Comment);
        var serviceId = await portal.WithDbAsync(db => db.Services.Where(s => s.Name == "payments-api").Select(s => s.Id).SingleAsync());
        var history = await portal.Get<RequestQueries>().HistoryAsync(await portal.PrincipalAsync("alice"), serviceId);
        Assert.True(history.Single(r => r.Id == id).BreakGlass);
        Assert.Equal(1, await portal.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
        // Notified: one break-glass event in the outbox for the team's hooks and bell, carrying the reason.
        var notified = await portal.WithDbAsync(db => db.NotificationEvents.SingleAsync(e => e.RequestId == id && e.Kind == Portal.Notifications.NotificationKind.BreakGlass));
        Assert.Equal("carol", notified.Actor);
        Assert.Equal("Hotfix for the payment outage", notified.Comment);
    }

    [Fact]
    public async Task AnAdminCanBreakTheGlassToApproveDuringAFreezeAndTheRequestIsAppliedFlaggedAuditedAndNotified()
    {
        var portal = await StartAsync();
        var alice = await portal.ClientAsync("alice");
        var bob = await portal.ClientAsync("bob");
        var carol = await portal.ClientAsync("carol");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" })).SubmittedIdAsync();
        await FreezeAsync(carol, "production", "Quarter close");

        var noReason = await carol.PostAsJsonAsync($"/api/requests/{id}/approve", new { comment = "ship", breakGlassReason = " " });
        var notAdmin = await bob.PostAsJsonAsync($"/api/requests/{id}/approve", new { comment = "ship", breakGlassReason = "I want to" });
        var tooLong = await carol.PostAsJsonAsync($"/api/requests/{id}/approve", new { breakGlassReason = new string('x', 5000) });
        Assert.Equal(HttpStatusCode.Conflict, noReason.StatusCode);
        Assert.Contains("an Admin can break the glass with a reason", (await noReason.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.True((await tooLong.JsonAsync()).GetProperty("errors").TryGetProperty("BreakGlassReason", out _));
        Assert.Equal(RequestState.AwaitingApproval, await portal.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync()));
        Assert.Equal(0, await portal.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.RequestId == id && e.Action == "BreakGlass")));

        var broken = await carol.PostAsJsonAsync($"/api/requests/{id}/approve", new { comment = "ship", breakGlassReason = "Fix for the quarter-close report" });

        Assert.Equal(HttpStatusCode.OK, broken.StatusCode);
        // The apply worker lets the request through the freeze: the break-glass is on the request.
        await portal.WaitForStateAsync(id, RequestState.Succeeded);
        Assert.Equal("Fix for the quarter-close report", await portal.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.BreakGlassReason).SingleAsync()));
        var audit = await portal.WithDbAsync(db => db.AuditEvents.SingleAsync(e => e.RequestId == id && e.Action == "BreakGlass"));
        Assert.Equal("carol", audit.Actor);
        Assert.Contains("Fix for the quarter-close report", audit.Comment);
        Assert.Contains("Quarter close", audit.Comment);
        var serviceId = await portal.WithDbAsync(db => db.Services.Where(s => s.Name == "payments-api").Select(s => s.Id).SingleAsync());
        var history = await portal.Get<RequestQueries>().HistoryAsync(await portal.PrincipalAsync("alice"), serviceId);
        Assert.True(history.Single(r => r.Id == id).BreakGlass);
        var notified = await portal.WithDbAsync(db => db.NotificationEvents.SingleAsync(e => e.RequestId == id && e.Kind == Portal.Notifications.NotificationKind.BreakGlass));
        Assert.Equal("carol", notified.Actor);
        Assert.Equal("Fix for the quarter-close report", notified.Comment);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    public async Task AutomaticRollbackDuringAFreezeIsAllowedUnlessTheEnvironmentTurnsItOff(string? setting, bool allowed)
    {
        var portal = await StartAsync(("Environments:0:AllowAutomaticRollbackDuringFreeze", setting));
        var alice = await portal.ClientAsync("alice");
        await portal.WaitForStateAsync(await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" })).SubmittedIdAsync(), RequestState.Succeeded);
        await portal.WaitForStateAsync(await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v2" })).SubmittedIdAsync(), RequestState.Succeeded);
        await FreezeAsync(await portal.ClientAsync("carol"), "staging", "Weekend");
        var serviceId = await portal.WithDbAsync(db => db.Services.Where(s => s.Name == "payments-api").Select(s => s.Id).SingleAsync());

        // What AutoRollback calls after a failed rollout: a rollback with no user.
        var rollback = await portal.Get<RequestService>().RollbackAsync(null, serviceId, "staging", 1, null);
        var byPerson = await portal.Get<RequestService>().RollbackAsync(await portal.PrincipalAsync("alice"), serviceId, "staging", 1, null);

        Assert.Equal(allowed, rollback.Succeeded);
        if (!allowed)
        {
            Assert.Contains("Automatic rollback is not allowed during a freeze", rollback.Message);
        }

        Assert.Equal(OutcomeKind.Conflict, byPerson.Kind);
        Assert.Contains("Weekend", byPerson.Message);
    }

    private async Task<PortalApp> StartAsync(params (string Key, string? Value)[] extra)
    {
        app = await PortalApp.StartAsync(clock, [
            ("Sandbox:Speed", "20"),
            ("Rollouts:PollInterval", "00:00:00.200"),
            ("Environments:0:Name", "staging"),
            ("Environments:1:Name", "production"),
            ("Environments:1:RequiresApproval", "true"),
            .. extra.Where(e => e.Value is not null),
        ]);
        return app;
    }

    /// <summary>An Admin stores a one-off freeze from an hour ago until two hours from now.</summary>
    private async Task FreezeAsync(HttpClient admin, string environment, string reason)
    {
        var response = await admin.PostAsJsonAsync("/api/freeze-windows", new { environment, from = clock.GetUtcNow().AddHours(-1), to = clock.GetUtcNow().AddHours(2), reason });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
