using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Requests;
using Portal.Tests.Registry;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed partial class TagPickerJourneyTests(RegistryPortal fixture, Infrastructure.Browser browser) : IClassFixture<RegistryPortal>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task AlicePicksATagFromTheRegistrySubmitsAndSeesItsDigestOnTheRequest()
    {
        await fixture.RegisterServiceAsync("browser-picked");
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        var alice = await context.NewPageAsync();
        await alice.GotoAsync($"/account/signin?returnUrl={Uri.EscapeDataString("/services/payments/browser-picked/environments/production/deploy")}");
        await alice.FillAsync("#username", "alice");
        await alice.FillAsync("#password", "Demo123!");
        await alice.ClickAsync("#signin-submit");
        await Expect(alice.Locator("#page-title")).ToHaveTextAsync("Deploy browser-picked to production");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(alice);

        await alice.Locator("#image-tag").PressSequentiallyAsync("v1");
        await Expect(alice.Locator(".tag-option")).ToHaveCountAsync(2);
        await Screenshot(alice, "alice-searches-tags-in-the-picker.png");
        await alice.Locator(".tag-option[data-tag=v10]").ClickAsync();
        await Expect(alice.Locator("#image-tag")).ToHaveValueAsync("v10");
        await alice.ClickAsync("#review");
        await Expect(alice.Locator("#review-digest")).ToHaveTextAsync(ImagePinning.Short(fixture.Digests["v10"]));
        await alice.ClickAsync("#submit");

        await Expect(alice).ToHaveURLAsync(RequestPage());
        await Expect(alice.Locator("#spec-image")).ToContainTextAsync($"{fixture.Repository}:v10@{fixture.Digests["v10"]}");
        await Screenshot(alice, "alice-request-pinned-to-a-digest.png");
    }

    private static async Task Screenshot(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, name), FullPage = true });

    [GeneratedRegex(@"/requests/(\d+)$")]
    private static partial Regex RequestPage();
}
