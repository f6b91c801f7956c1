using System.Diagnostics;
using Microsoft.Playwright;
using Portal.Identity;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Demo;

/// <summary>A fresh start in demo mode, in the browser: deployed versions in the catalog and demo tags in the picker within a minute.</summary>
public sealed class DemoJourneyTests(Infrastructure.Browser browser) : IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task RightAfterAFreshStartTheCatalogShowsDeployedVersionsAndTheTagPickerListsDemoTags()
    {
        var started = Stopwatch.StartNew();
        await using var app = new PortalApp().With("Sandbox:Registry", "true").With("Sandbox:Speed", "1").With("Portal:DemoActivity", "true");
        await app.InitializeAsync();
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        context.SetDefaultNavigationTimeout(90_000);
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin?returnUrl=%2Fservices");
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", DemoData.Password);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Services");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);

        // The catalog is not live: reload until the first revisions have succeeded, as a user would, within the minute.
        var staging = page.Locator("#env-payments-payments-api-staging");
        while (!(await staging.TextContentAsync() ?? "").Contains("v1.", StringComparison.Ordinal) && started.Elapsed < TimeSpan.FromSeconds(60))
        {
            await page.WaitForTimeoutAsync(2000);
            await page.ReloadAsync();
            await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        }

        await Expect(staging).ToContainTextAsync("v1.", new() { Timeout = 1000 });
        await Expect(page.Locator("#env-search-query-api-staging")).ToContainTextAsync("v1.", new() { Timeout = Math.Max(1000, 60_000 - (int)started.ElapsedMilliseconds) });
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), $"the catalog showed deployed versions after {started.Elapsed.TotalSeconds:0} s");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "demo-catalog-after-a-fresh-start.png"), FullPage = true });

        await page.GotoAsync("/services/payments/payments-ledger/environments/staging/deploy");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        // "Show latest" appears once the registry's tag listing has arrived.
        await Expect(page.Locator("#show-latest")).ToBeVisibleAsync();
        await page.Locator("#image-tag").ClickAsync();
        // The demo may have deployed the service by now: the field then holds the current tag, which typing would extend.
        await page.Locator("#image-tag").FillAsync("");
        await page.Locator("#image-tag").PressSequentiallyAsync("v1");
        await Expect(page.Locator(".tag-option[data-tag='v1.3.0']")).ToBeVisibleAsync();
        await Expect(page.Locator(".tag-option[data-tag='v1.1.1']")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "demo-tag-picker.png"), FullPage = true });
    }
}
