using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Operations;

public sealed partial class MetricsTests(Infrastructure.Browser browser) : IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task MetricsAfterADeployShowRequestsByStateDurationsAppliesHubConnectionsCircuitsAndTheLeader()
    {
        await using var app = await PortalApp.StartAsync();
        var service = await app.RegisterServiceAsync("metrics-api");
        var alice = await app.ClientAsync("alice");
        await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync(); // waits for an approver
        var deployed = await (await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();
        await app.WaitForStateAsync(deployed, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var created = await app.Get<PersonalAccessTokens>().CreateAsync(await app.PrincipalAsync("alice"), "metrics-hub", 30);
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, "/hubs/rollouts"), o => o.Headers["Authorization"] = new AuthenticationHeaderValue("Bearer", created.Value!.Secret).ToString())
            .Build();
        await hub.StartAsync();
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/services");
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", DemoData.Password);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Services");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);

        // The hub counts a connection once its handshake has been answered, and the exporter keeps a scrape for a moment:
        // read /metrics until both live gauges have caught up with the connection and the circuit opened above.
        using var anonymous = new HttpClient { BaseAddress = app.BaseAddress };
        HttpResponseMessage response = null!;
        List<Sample> samples = [];
        await Poll.UntilAsync(async () =>
        {
            response = await anonymous.GetAsync("/metrics");
            samples = Parse(await response.Content.ReadAsStringAsync());
            return samples.Any(s => s.Name == "portal_hub_connections" && s.Value >= 1) && samples.Any(s => s.Name == "portal_circuits" && s.Value >= 1);
        }, TimeSpan.FromSeconds(15), failOnTimeout: false);
        await hub.DisposeAsync();

        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}");
        var byState = await app.WithDbAsync(db => db.DeploymentRequests.GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key.ToString(), g => g.Count));
        Assert.Equal(byState.GetValueOrDefault("AwaitingApproval"), Value(samples, "portal_requests", "state=\"AwaitingApproval\""));
        Assert.Equal(byState.GetValueOrDefault("Succeeded"), Value(samples, "portal_requests", "state=\"Succeeded\""));
        Assert.True(byState["Succeeded"] >= 1 && byState["AwaitingApproval"] >= 1, string.Join(", ", byState));
        Assert.Equal(0, Value(samples, "portal_requests", "state=\"Rejected\""));
        Assert.True(Value(samples, "portal_request_approval_duration_seconds_count", "environment=\"staging\"") >= 1, "submit → approval recorded");
        Assert.True(Value(samples, "portal_request_rollout_duration_seconds_count", "environment=\"staging\"") >= 1, "approval → healthy recorded");
        Assert.True(Value(samples, "portal_request_rollout_duration_seconds_sum", "environment=\"staging\"") > 0, "a rollout takes time");
        Assert.True(Value(samples, "portal_request_lead_time_seconds_sum", "environment=\"staging\"") >= Value(samples, "portal_request_rollout_duration_seconds_sum", "environment=\"staging\""));
        Assert.True(Value(samples, "portal_apply_attempts_total") >= 1, "apply attempts counted");
        Assert.Contains(samples, s => s.Name == "portal_hub_connections" && s.Labels.Contains("hub=\"RolloutHub\"", StringComparison.Ordinal) && s.Value >= 1);
        Assert.True(Value(samples, "portal_circuits") >= 1, "the browser's circuit is open");
        Assert.Equal(1, Value(samples, "portal_leader"));
        Assert.Contains(samples, s => s.Name == "http_server_request_duration_seconds_count");
        Assert.True(Value(samples, "dotnet_gc_collections_total") >= 1, "the runtime's GC collections are exported");
        Assert.Contains(samples, s => s.Name == "dotnet_gc_pause_time_seconds_total");
    }

    [Fact]
    public async Task TheApplyWorkerLogsCarryTheRequestId()
    {
        await using var app = await PortalApp.StartAsync();
        var service = await app.RegisterServiceAsync("scoped-logs");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();
        await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(60));

        // What is logged while the request is applied, by the worker or what it calls, carries the request's id as a scope.
        // The tracker logs the rollout's end after it has recorded Succeeded, so the line may come a moment after the state.
        List<string> applyLines = [];
        await Poll.UntilAsync(() =>
        {
            applyLines = app.Logs.Lines.Where(line => line.Contains($"Request {id} RollingOut", StringComparison.Ordinal) || line.Contains($"Rollout of request {id} ended", StringComparison.Ordinal)).ToList();
            return applyLines.Count >= 2;
        }, TimeSpan.FromSeconds(10), failOnTimeout: false);
        Assert.Equal(2, applyLines.Count);
        Assert.All(applyLines, line => Assert.EndsWith($"{{RequestId={id}}}", line));
    }

    private static double Value(List<Sample> samples, string name, string? label = null)
    {
        var matching = samples.Where(s => s.Name == name && (label is null || s.Labels.Contains(label, StringComparison.Ordinal))).ToList();
        Assert.True(matching.Count > 0, $"no sample {name}{{{label}}}");
        return matching.Sum(s => s.Value);
    }

    private static List<Sample> Parse(string text) =>
        text.Split('\n').Select(line => SampleLine().Match(line)).Where(m => m.Success)
            .Select(m => new Sample(m.Groups["name"].Value, m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToList();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN)( [0-9]+)?\z")]
    private static partial Regex SampleLine();

    private sealed record Sample(string Name, string Labels, double Value);
}
