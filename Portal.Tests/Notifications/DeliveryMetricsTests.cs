using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Metrics;
using Portal.Metrics.Pages;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Notifications;

/// <summary>
/// A hand-built history with known answers (times relative to a day ten days ago, T0):
/// four healthy deployments with lead times 1 h, 2 h, 1 h, 4 h; approval waits 10 and 20 min; one failure at day 3 +30 min
/// restored by the next healthy deployment at day 3 +2 h (90 min); plus one deployment before the period and one of
/// another team's service, which must not count.
/// </summary>
public class DeliveryMetricsTests : PortalComponentTest
{
    private static readonly DateTimeOffset T0 = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-10);

    public DeliveryMetricsTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<DeliveryMetrics>());
    }

    [Fact]
    public async Task TheApiAnswersTheKnownDeliveryMetricsOfAHandBuiltHistory()
    {
        var service = await SeedHistoryAsync();
        var bob = await App.ClientAsync("bob");

        var report = await bob.GetFromJsonAsync<JsonElement>($"/api/metrics/delivery?team=payments&service={service}&from={Iso(T0)}&to={Iso(T0.AddDays(10))}");
        var teamWide = await bob.GetFromJsonAsync<JsonElement>($"/api/metrics/delivery?team=payments&environment=production&from={Iso(T0)}&to={Iso(T0.AddDays(10))}");

        foreach (var r in new[] { report, teamWide })
        {
            Assert.Equal(4, r.GetProperty("deployments").GetInt32());
            Assert.Equal(0.4, r.GetProperty("deploymentsPerDay").GetDouble(), 6);
            Assert.Equal(3600, r.GetProperty("leadTime").GetProperty("medianSeconds").GetDouble());
            Assert.Equal(14400, r.GetProperty("leadTime").GetProperty("p90Seconds").GetDouble());
            Assert.Equal(7200, r.GetProperty("leadTime").GetProperty("averageSeconds").GetDouble());
            Assert.Equal(600, r.GetProperty("approvalWait").GetProperty("medianSeconds").GetDouble());
            Assert.Equal(1200, r.GetProperty("approvalWait").GetProperty("p90Seconds").GetDouble());
            Assert.Equal(1, r.GetProperty("failures").GetInt32());
            Assert.Equal(0.2, r.GetProperty("changeFailureRate").GetDouble(), 6);
            Assert.Equal(5400, r.GetProperty("timeToRestore").GetProperty("medianSeconds").GetDouble());
            Assert.Equal(0, r.GetProperty("unrestored").GetInt32());
            Assert.Equal([0, 1, 1, 1, 1, 0, 0, 0, 0, 0], r.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("deployments").GetInt32()));
            Assert.Equal([0, 0, 0, 1, 0, 0, 0, 0, 0, 0], r.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("failures").GetInt32()));
        }
    }

    [Fact]
    public async Task TheApiRefusesABadPeriodAndAnotherTeamsMetrics()
    {
        var dave = await App.ClientAsync("dave");

        var backwards = await dave.GetAsync($"/api/metrics/delivery?team=search&from={Iso(T0)}&to={Iso(T0.AddDays(-1))}");
        var otherTeam = await dave.GetAsync("/api/metrics/delivery?team=payments");

        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.True((await backwards.JsonAsync()).GetProperty("errors").TryGetProperty("to", out _));
        Assert.Equal(HttpStatusCode.NotFound, otherTeam.StatusCode);
    }

    [Fact]
    public async Task TheMetricsPageShowsTheSameNumbersForTheTeam()
    {
        var service = await SeedHistoryAsync();
        await SignInAsAsync("bob");
        RenderPopoverProvider();

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("team", "payments"));
        var page = Render<MetricsPage>();
        page.Change("#metrics-service", service);

        // The page shows the last 30 days: they also hold the deployment of day -5, so five deployments (lead times
        // 1 h, 2 h, 1 h, 4 h, 1 h) and one failure in six.
        page.WaitForAssertion(() =>
        {
            Assert.Contains("5 deployments", page.Find("#metric-frequency").TextContent);
            Assert.Equal("1 h", page.Find("#metric-lead-time .metric-value").TextContent.Trim());
            Assert.Contains("p90 4 h", page.Find("#metric-lead-time").TextContent);
            Assert.Contains("10 min", page.Find("#metric-approval-wait .metric-value").TextContent);
            Assert.Contains("17", page.Find("#metric-failure-rate .metric-value").TextContent);
            Assert.Equal("1.5 h", page.Find("#metric-restore .metric-value").TextContent.Trim());
        });
        Assert.NotEmpty(page.FindAll("#metrics-chart svg, #metrics-chart"));
    }

    private static string Iso(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));

    /// <summary>Seeds the history once per portal (the tests of this class share one).</summary>
    private async Task<string> SeedHistoryAsync()
    {
        const string name = "metrics-history";
        if (await App.WithDbAsync(db => db.Services.AnyAsync(s => s.Name == name)))
        {
            return name;
        }

        var service = await App.RegisterServiceAsync(name);
        var other = await App.RegisterServiceAsync("other-history", team: "search", user: "dave");
        await App.WithDbAsync(async db =>
        {
            Add(db, service.Id, T0.AddDays(1), healthyAfter: TimeSpan.FromHours(1), waited: TimeSpan.FromMinutes(10));
            Add(db, service.Id, T0.AddDays(2), healthyAfter: TimeSpan.FromHours(2), waited: TimeSpan.FromMinutes(20));
            Add(db, service.Id, T0.AddDays(3), failedAfter: TimeSpan.FromMinutes(30));
            Add(db, service.Id, T0.AddDays(3).AddHours(1), healthyAfter: TimeSpan.FromHours(1));
            Add(db, service.Id, T0.AddDays(4), healthyAfter: TimeSpan.FromHours(4));
            Add(db, service.Id, T0.AddDays(-5), healthyAfter: TimeSpan.FromHours(1));
            Add(db, other.Id, T0.AddDays(2), healthyAfter: TimeSpan.FromHours(9));
            return await db.SaveChangesAsync();
        });
        return name;
    }

    /// <summary>A request that went through the lifecycle's own transitions at the given times.</summary>
    internal static void Add(PortalDbContext db, int serviceId, DateTimeOffset submitted, TimeSpan? healthyAfter = null, TimeSpan? failedAfter = null, TimeSpan? waited = null)
    {
        var request = new DeploymentRequest
        {
            ServiceId = serviceId,
            Environment = "production",
            State = RequestState.Submitted,
            Spec = new RequestSpec { ImageRepository = "registry.example.com/metrics", ImageTag = "v1", Resources = new ResourceSpec("100m", "200m", "64Mi", "128Mi"), ContainerPort = 8080 },
            SpecHash = "hash",
            ImageTag = "v1",
            RequestedById = "seed",
            RequestedBy = "seed",
            CreatedAt = submitted,
            UpdatedAt = submitted,
        };
        db.DeploymentRequests.Add(request);
        var at = submitted;
        if (waited is { } wait)
        {
            RequestLifecycle.Move(db, request, RequestState.AwaitingApproval, "policy", null, at);
            at += wait;
        }

        RequestLifecycle.Move(db, request, RequestState.Approved, "bob", null, at);
        RequestLifecycle.Move(db, request, RequestState.Applying, "apply-worker", null, at);
        RequestLifecycle.Move(db, request, RequestState.RollingOut, "apply-worker", null, at);
        if (healthyAfter is { } healthy)
        {
            RequestLifecycle.Move(db, request, RequestState.Succeeded, "rollout-tracker", null, submitted + healthy);
        }
        else if (failedAfter is { } failed)
        {
            RequestLifecycle.Move(db, request, RequestState.Failed, "rollout-tracker", "crash", submitted + failed);
        }
    }
}

/// <summary>The same known answers on PostgreSQL: the bucket GROUP BY and the projections are plain EF Core on both engines.</summary>
public sealed class DeliveryMetricsOnPostgresTests(PostgresPortalApp app) : DeliveryMetricsTests(app), IClassFixture<PostgresPortalApp>;
