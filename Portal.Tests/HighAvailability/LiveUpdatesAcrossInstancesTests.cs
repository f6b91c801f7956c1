using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using Portal.Requests;
using Portal.Requests.Components;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.HighAvailability;

[Collection(HighAvailabilityCollection.Name)]
public sealed class LiveUpdatesAcrossInstancesTests(TwoPortalsFixture fixture, Infrastructure.Browser browser) : IClassFixture<TwoPortalsFixture>, IClassFixture<Infrastructure.Browser>
{
    private TwoPortals Ha => fixture.Portals;

    [Fact]
    public async Task RequestSubmittedOnAAndApprovedOnBIsAppliedOnceAndBsHubFollowsItsRollout()
    {
        Assert.True(await Ha.A.IsLeaderAsync(), "A leads: B only sees the rollout through Redis");
        Assert.False(await Ha.B.IsLeaderAsync());
        var alice = await Ha.A.SignedInClientAsync("alice");
        var bobCookies = new CookieContainer();
        var bob = await Ha.B.SignedInClientAsync("bob", bobCookies);
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v2-ha", replicas = 3 })).SubmittedIdAsync();

        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(Ha.B.BaseAddress, "/hubs/rollouts"), o => o.Cookies = bobCookies).Build();
        await hub.StartAsync();
        var seen = new ConcurrentQueue<RolloutSnapshot>();
        var streaming = Task.Run(async () =>
        {
            await foreach (var snapshot in hub.StreamAsync<RolloutSnapshot>("WatchRollout", id))
            {
                seen.Enqueue(snapshot);
            }
        });
        // Viewers that join the rollout on each instance: each instance tells only its own, so each change comes once.
        var joined = new List<(HubConnection Hub, ConcurrentQueue<RolloutSnapshot> Rebuilt, TaskCompletionSource Ended)>();
        foreach (var instance in new[] { Ha.A, Ha.B })
        {
            var viewer = new HubConnectionBuilder().WithUrl(new Uri(instance.BaseAddress, "/hubs/rollouts"), o => o.Cookies = bobCookies).Build();
            await viewer.StartAsync();
            var rebuilt = new ConcurrentQueue<RolloutSnapshot>();
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            viewer.On<RolloutChange>(RolloutRooms.ClientMethod, change =>
            {
                rebuilt.Enqueue(change.ApplyTo(rebuilt.LastOrDefault()));
                if (rebuilt.Last().IsFinal)
                {
                    ended.TrySetResult();
                }
            });
            await viewer.InvokeAsync("JoinRollout", id);
            joined.Add((viewer, rebuilt, ended));
        }

        await Poll.UntilAsync(() => !seen.IsEmpty, TimeSpan.FromSeconds(30), "B's hub sent nothing for the waiting request");
        Assert.Equal(HttpStatusCode.OK, (await bob.DecideAsync(id, "approve")).StatusCode);

        await streaming.WaitAsync(TimeSpan.FromSeconds(120));
        await Task.WhenAll(joined.Select(j => j.Ended.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var (viewer, rebuilt, _) in joined)
        {
            var states = rebuilt.ToList();
            await viewer.DisposeAsync();
            Assert.Equal(RolloutPhase.Succeeded, states[^1].Phase);
            Assert.Contains(states, s => s.Phase == RolloutPhase.Progressing);
            Assert.True(states.Zip(states.Skip(1)).All(p => p.First.At < p.Second.At), "a change came twice or out of order");
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(seen.Last()), System.Text.Json.JsonSerializer.Serialize(states[^1]));
        }

        var snapshots = seen.ToList();
        Assert.Equal(RolloutPhase.Succeeded, snapshots[^1].Phase);
        // Live on B while A rolled it out: pods coming up one by one, not only the stored end.
        Assert.Contains(snapshots, s => s.Phase == RolloutPhase.Progressing);
        // The stream ends with the stored final snapshot; the request's own state follows a moment later.
        await Poll.UntilAsync(async () => (await bob.GetFromJsonAsync<RequestBody>($"/api/requests/{id}", PortalApi.Json))!.State == "Succeeded", TimeSpan.FromSeconds(30), "the request did not end Succeeded");
        // Exactly once: the cluster received one apply of the Deployment (A's), none from B.
        Assert.Single(Ha.Sandbox.Writes("PATCH", "/apis/apps/v1/namespaces/payments-production/deployments/payments-api"));
    }

    [Fact]
    public async Task APageOnASeesTheDecisionMadeOnBWithoutAReload()
    {
        var alice = await Ha.A.SignedInClientAsync("alice");
        var bob = await Ha.B.SignedInClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v3-ha" })).SubmittedIdAsync();

        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = Ha.A.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/account/signin?returnUrl=%2Frequests%2F{id}");
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", Portal.Identity.DemoData.Password);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#state-chip")).ToContainTextAsync(RequestStateChip.Text(RequestState.AwaitingApproval));
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);

        // Rejected on B: nothing on A acts on a rejection, so only B's notification through Redis can change A's page.
        Assert.Equal(HttpStatusCode.OK, (await bob.DecideAsync(id, "reject", "Not this week")).StatusCode);

        await Expect(page.Locator("#state-chip")).ToContainTextAsync(RequestStateChip.Text(RequestState.Rejected), new LocatorAssertionsToContainTextOptions { Timeout = 20_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "ha-page-on-a-sees-b-reject.png"), FullPage = true });
    }

    [Fact]
    public async Task ARequestReadOnAIsReadAsRejectedOnAAtOnceAfterBRejectsIt()
    {
        var alice = await Ha.A.SignedInClientAsync("alice");
        var bob = await Ha.B.SignedInClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v4-ha" })).SubmittedIdAsync();
        // Read twice on A: what A keeps of the request (RequestDetailCache) holds it now.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("AwaitingApproval", (await alice.GetFromJsonAsync<RequestBody>($"/api/requests/{id}", PortalApi.Json))!.State);
        }

        Assert.Equal(HttpStatusCode.OK, (await bob.DecideAsync(id, "reject", "Not this week")).StatusCode);

        // Read at once, without waiting for any notification: A checks the request's version on every read.
        Assert.Equal("Rejected", (await alice.GetFromJsonAsync<RequestBody>($"/api/requests/{id}", PortalApi.Json))!.State);
    }

    [Fact]
    public async Task ATokenRevokedOnAIsRefusedOnBAtOnceThoughBHadItCached()
    {
        var alice = await Ha.A.SignedInClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v5-ha" })).SubmittedIdAsync();

        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = Ha.A.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Ftokens");
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", Portal.Identity.DemoData.Password);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Access tokens");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await page.FillAsync("#token-name", "ha pipeline");
        await page.ClickAsync("#create-token");
        await Expect(page.Locator("#new-token-alert")).ToBeVisibleAsync();
        var secret = await page.Locator("#new-token").InputValueAsync();

        // B authenticates the token and keeps who it is (AccessTokenCache) for its lifetime.
        using var pipeline = new HttpClient { BaseAddress = Ha.B.BaseAddress };
        pipeline.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await pipeline.GetAsync($"/api/requests/{id}")).StatusCode);
        }

        await page.Locator("#tokens tr", new PageLocatorOptions { HasText = "ha pipeline" }).Locator("button[id^='revoke-token-']").ClickAsync();
        await page.ClickAsync("#confirm-ok");
        await Expect(page.Locator("#tokens tr", new PageLocatorOptions { HasText = "ha pipeline" })).ToContainTextAsync("revoked");
        var revoked = System.Diagnostics.Stopwatch.StartNew();

        // A told B through Redis: B refuses it well before its cached entry would have run out.
        var status = HttpStatusCode.OK;
        while (revoked.Elapsed < TimeSpan.FromSeconds(5) && (status = (await pipeline.GetAsync($"/api/requests/{id}")).StatusCode) == HttpStatusCode.OK)
        {
            await Task.Delay(50);
        }

        Assert.True(status == HttpStatusCode.Unauthorized, $"B still answered {status} {revoked.Elapsed.TotalSeconds:F1} s after the revoke on A (its cache keeps a token {Portal.Identity.AccessTokenCache.Lifetime.TotalSeconds} s)\n{Ha.Logs()}");
    }

    private sealed record RequestBody(int Id, string State);
}
