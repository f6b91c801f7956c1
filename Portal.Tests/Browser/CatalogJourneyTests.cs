using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class CatalogJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task AliceSignsInRegistersAServiceAndSeesItInTheList()
    {
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();

        await page.GotoAsync("/services");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"));
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");

        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Services");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await page.ClickAsync("#register-service");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Register a service");
        await page.FillAsync("#service-name", "fraud-scoring");
        await page.FillAsync("#service-image", "registry.example.com/payments/fraud-scoring");
        await page.FillAsync("#service-description", "Scores card payments for fraud");
        await page.ClickAsync("#service-save");

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/services/payments/fraud-scoring$"));
        await Expect(page.Locator("#detail-image")).ToHaveTextAsync("registry.example.com/payments/fraud-scoring");

        await page.ClickAsync("nav[aria-label=Breadcrumb] >> text=Services");
        await page.FillAsync("#service-search", "fraud");
        var row = page.Locator("tr", new PageLocatorOptions { HasText = "fraud-scoring" });
        await Expect(row).ToBeVisibleAsync();
        await Expect(row).ToContainTextAsync("payments");
        await Expect(page.Locator("tr", new PageLocatorOptions { HasText = "search-indexer" })).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "alice-registers-a-service.png"), FullPage = true });
    }

    [Fact]
    public async Task InvalidNameShowsItsMessageInTheBrowserAndNothingIsStored()
    {
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin?returnUrl=%2Fservices%2Fnew");
        await page.FillAsync("#username", "dave");
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Register a service");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);

        await page.FillAsync("#service-name", "Search_API");
        await page.FillAsync("#service-image", "registry.example.com/search/api");
        await page.ClickAsync("#service-save");

        await Expect(page.Locator(".mud-input-control", new PageLocatorOptions { Has = page.Locator("#service-name") })).ToContainTextAsync("Service name must be lowercase letters");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "invalid-service-name.png"), FullPage = true });
        Assert.Equal(0, await app.WithDbAsync(db => Task.FromResult(db.Services.Count(s => s.ImageRepository == "registry.example.com/search/api"))));
    }
}
