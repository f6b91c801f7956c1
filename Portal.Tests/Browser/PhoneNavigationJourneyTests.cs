using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>
/// The navigation drawer on a phone lies over the page, so it stays out of the way until asked for and goes once a link is
/// followed; on a wide screen it stays beside the page.
/// </summary>
public sealed class PhoneNavigationJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task OnAPhoneTheDrawerOpensOnAskingAndClosesWhenALinkIsFollowed()
    {
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true });
        var page = await context.NewPageAsync();
        await Infrastructure.Browser.SignInAsync(page, "alice", "/services");
        var requestsLink = page.Locator("nav.mud-navmenu a[href='/requests']");

        // The page is what the phone shows first, not the menu over it.
        await Expect(requestsLink).Not.ToBeInViewportAsync();

        await page.ClickAsync("button[aria-label='Toggle navigation']");
        await Expect(requestsLink).ToBeInViewportAsync();
        await requestsLink.ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/requests$"));
        await Expect(requestsLink).Not.ToBeInViewportAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "phone-after-navigation.png") });
    }

    [Fact]
    public async Task OnAWideScreenTheDrawerStaysBesideThePageAfterALinkIsFollowed()
    {
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        await Infrastructure.Browser.SignInAsync(page, "alice", "/services");
        var requestsLink = page.Locator("nav.mud-navmenu a[href='/requests']");
        await Expect(requestsLink).ToBeInViewportAsync();

        await requestsLink.ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/requests$"));
        await page.ClickAsync("nav.mud-navmenu a[href='/services']");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Services");

        // Staying is the absence of a change: give the layout's reaction to the navigation (a round trip to the browser
        // for its width, which closes the phone's drawer well within this) time to happen before looking.
        await page.WaitForTimeoutAsync(1500);
        await Expect(page.Locator(".mud-drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await Expect(requestsLink).ToBeInViewportAsync();
    }
}
