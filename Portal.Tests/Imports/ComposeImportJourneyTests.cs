using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Imports;

/// <summary>The import flow in a real browser (Debian's Chromium) against the real portal.</summary>
public sealed class ComposeImportJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task AliceUploadsAComposeFileConfirmsTheSecretAndRegistersTheApi()
    {
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin?returnUrl=%2Fservices");
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Services");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);

        await page.ClickAsync("#import-compose");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Import from Docker Compose");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await page.SetInputFilesAsync("input[type=file]", new FilePayload
        {
            Name = "docker-compose.yml",
            MimeType = "application/yaml",
            Buffer = Encoding.UTF8.GetBytes(ComposeSamples.ThreeServices("pw")),
        });

        await Expect(page.Locator(".planned-service")).ToHaveCountAsync(3);
        await Expect(page.Locator("#plan-pw-api")).ToContainTextAsync("services.pw-api.depends_on");
        await Expect(page.GetByLabel("Import pw-worker")).ToBeVisibleAsync();
        await page.GetByLabel("Import pw-worker").UncheckAsync();
        await page.GetByLabel("Import pw-db").UncheckAsync();
        await page.GetByLabel("Confirm that API_TOKEN of pw-api is a secret").CheckAsync();
        await Expect(page.Locator("#import-services")).ToHaveTextAsync("Import 1 service");
        await page.Locator(".mud-input-control:has(#import-environment)").Last.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "staging" }).ClickAsync();
        await Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await page.ClickAsync("#import-services");

        await Expect(page.Locator("#import-result")).ToContainTextAsync("Imported 1 service into payments, first deploys to staging.", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await Expect(page.Locator("#imported-pw-api")).ToContainTextAsync("Request #");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "compose-import-result.png"), FullPage = true });
        Assert.DoesNotContain("tok-123-abc", await page.ContentAsync());
        await page.Locator("#imported-pw-api a", new PageLocatorOptions { HasText = "pw-api" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/services/payments/pw-api$"));
        var stored = await app.WithDbAsync(db => db.Services.Where(s => s.Name.StartsWith("pw-")).Select(s => s.Name).ToListAsync());
        Assert.Equal(["pw-api"], stored);
    }
}
