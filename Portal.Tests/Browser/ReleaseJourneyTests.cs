using Microsoft.Playwright;
using Portal.Notifications;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using Portal.Tests.Notifications;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>The team webhooks page and the delivery metrics page in a real browser, against a real portal.</summary>
public sealed class ReleaseJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task BobAddsAHookSendsATestAndTheDeliveryLogShowsItDeliveredWithItsStatus()
    {
        using var receiver = new WebhookReceiver { FailFirst = 1 };
        var bob = await SignedInPageAsync("bob", "/teams/payments/webhooks", "Webhooks of payments");

        await bob.FillAsync("#webhook-url", receiver.Url);
        await bob.Locator("#event-Succeeded").CheckAsync();
        await bob.ClickAsync("#webhook-create");
        var secret = await bob.Locator("#webhook-secret").TextContentAsync();
        Assert.StartsWith("whsec_", secret);
        var hook = bob.Locator("[id^='hook-']:has([id$='-test'])").Last;
        await hook.Locator("[id$='-test']").ClickAsync();

        // The first attempt is answered 500, the retry 200: the log shows the delivery, its attempts and its status.
        // The retry is due 8-12 s later (Notifications:RetryBaseDelay 10 s with jitter) and each attempt may take up to
        // Notifications:Timeout (10 s): under the whole suite's load one run took over 60 s, so the wait allows 120 s.
        await Poll.UntilAsync(() => receiver.Accepted.Count == 1, TimeSpan.FromSeconds(120), $"The test event never reached the receiver (it got {receiver.Received.Count} requests).");
        var row = hook.Locator("tr.delivery").First;
        await Poll.UntilPassesAsync(
            async () =>
            {
                await hook.Locator("[id$='-refresh']").ClickAsync();
                await Expect(row).ToHaveAttributeAsync("data-state", "Delivered", new() { Timeout = 2_000 });
            },
            TimeSpan.FromSeconds(30));
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("2");
        await Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("200");
        Assert.Equal(WebhookPayloads.Signature(secret!, receiver.Accepted[0].Body), receiver.Accepted[0].Signature);
        await Screenshot(bob, "bob-webhook-delivery-log.png");
        await bob.ReloadAsync();
        await Expect(bob.Locator("tr.delivery").First).ToBeVisibleAsync();
        Assert.DoesNotContain(secret!, await bob.ContentAsync());
    }

    [Fact]
    public async Task TheDeliveryMetricsPageDrawsTheSeededNumbersForAServiceAndAPeriod()
    {
        // Relative to the start of today: healthy after 1 h (day -2) and 3 h (day -3), a failure at day -4 + 30 min
        // restored by the day -3 deployment (26.5 h later), and one more healthy after 2 h at day -50.
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var service = await app.RegisterServiceAsync("browser-metrics");
        await app.WithDbAsync(async db =>
        {
            DeliveryMetricsTests.Add(db, service.Id, today.AddDays(-2), healthyAfter: TimeSpan.FromHours(1));
            DeliveryMetricsTests.Add(db, service.Id, today.AddDays(-3), healthyAfter: TimeSpan.FromHours(3));
            DeliveryMetricsTests.Add(db, service.Id, today.AddDays(-4), failedAfter: TimeSpan.FromMinutes(30));
            DeliveryMetricsTests.Add(db, service.Id, today.AddDays(-50), healthyAfter: TimeSpan.FromHours(2));
            return await db.SaveChangesAsync();
        });
        var bob = await SignedInPageAsync("bob", "/delivery-metrics?team=payments", "Delivery metrics");

        await bob.FillAsync("#metrics-service", "browser-metrics");
        await bob.Locator("#metrics-service").BlurAsync();

        await Expect(bob.Locator("#metric-frequency")).ToContainTextAsync("2 deployments");
        await Expect(bob.Locator("#metric-lead-time .metric-value")).ToHaveTextAsync("1 h");
        await Expect(bob.Locator("#metric-lead-time")).ToContainTextAsync("p90 3 h");
        await Expect(bob.Locator("#metric-failure-rate .metric-value")).ToContainTextAsync("33");
        await Expect(bob.Locator("#metric-restore .metric-value")).ToHaveTextAsync("26.5 h");
        var chart = bob.Locator("#metrics-chart svg, svg#metrics-chart").First;
        await Expect(chart).ToBeVisibleAsync();
        await Expect(bob.Locator("#metrics-chart")).ToContainTextAsync("Deployments");
        await Screenshot(bob, "bob-delivery-metrics-30-days.png");

        await bob.Locator(".mud-input-control:has(#metrics-days)").Last.ClickAsync();
        await bob.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "Last 90 days" }).ClickAsync();

        await Expect(bob.Locator("#metric-frequency")).ToContainTextAsync("3 deployments");
        await Expect(bob.Locator("#metric-lead-time .metric-value")).ToHaveTextAsync("2 h");
        await Expect(bob.Locator("#metric-failure-rate .metric-value")).ToContainTextAsync("25");
        await Screenshot(bob, "bob-delivery-metrics-90-days.png");
    }

    private async Task<IPage> SignedInPageAsync(string user, string path, string title)
    {
        var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/account/signin?returnUrl={Uri.EscapeDataString(path)}");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync(title);
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        return page;
    }

    private static async Task Screenshot(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, name), FullPage = true });
}
