using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class LiveDiffJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task AfterAKubectlScaleOutsideThePortalAliceSeesTheLiveReplicasInTheReviewStep()
    {
        await app.RegisterServiceAsync("browser-drift");
        var first = await app.SubmitRequestAsync("alice", "browser-drift", "staging", form => (form.ImageTag, form.Replicas) = ("v1", 2));
        await app.WaitForStateAsync(first.Id, RequestState.Succeeded);
        app.KubectlSucceeds("scale deployment browser-drift -n payments-staging --replicas=3");

        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        const string form = "/services/payments/browser-drift/environments/staging/deploy";
        await page.GotoAsync($"/account/signin?returnUrl={Uri.EscapeDataString(form)}");
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(form) + "$"));
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await Expect(page.Locator("#replicas")).ToHaveValueAsync("2");

        await page.FillAsync("#image-tag", "v2");
        await page.ClickAsync("#review");

        await Expect(page.Locator("#review-step")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.Locator("#live-diff-changes")).ToContainTextAsync("replicas 3 → 2");
        await Expect(page.Locator("#live-diff-changes")).ToContainTextAsync("image registry.example.com/payments/browser-drift:v1 → registry.example.com/payments/browser-drift:v2");
        await Expect(page.Locator("#live-diff-yaml")).Not.ToBeVisibleAsync();
        await page.ClickAsync("#live-diff-details summary");
        await Expect(page.Locator("#live-diff-yaml")).ToBeVisibleAsync();
        await Expect(page.Locator("#live-diff-yaml")).ToContainTextAsync("-  replicas: 3");
        await Expect(page.Locator("#live-diff-yaml")).ToContainTextAsync("+  replicas: 2");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "review-step-shows-the-live-diff.png"), FullPage = true });
    }
}
