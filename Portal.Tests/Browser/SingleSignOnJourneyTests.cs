using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Identity;
using Portal.Tests.Identity;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>
/// Sign-in through a real OpenID Connect provider over HTTPS with a private CA the portal trusts through
/// <c>Authentication:Oidc:CaCertificateFile</c> (the browser is told to accept it; the portal's backchannel is what is tested).
/// </summary>
public sealed class SingleSignOnJourneyTests(Infrastructure.Browser browser) : IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task ProviderGroupsBecomeTeamsAndRolesSignOutWorksAndARemovedGroupIsGoneAtTheNextSignIn()
    {
        await using var provider = await LoopbackOidcProvider.StartAsync();
        await provider.SetUserAsync("erin", "Erin Example", "payments-approvers", "search", "portal-admins");
        await using var app = await PortalApp.StartAsync(
            ("Authentication:Oidc:Authority", provider.Issuer.ToString()),
            ("Authentication:Oidc:ClientId", LoopbackOidcProvider.ClientId),
            ("Authentication:Oidc:ClientSecret", LoopbackOidcProvider.ClientSecret),
            ("Authentication:Oidc:CaCertificateFile", provider.CaCertificateFile),
            ("Authentication:Oidc:DisplayName", "Loopback SSO"));
        await provider.RegisterClientAsync(new Uri(app.BaseAddress, "/signin-oidc"));
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();

        await SignInWithProviderAsync(page, provider, "erin");

        await Expect(page.Locator("#user-menu")).ToContainTextAsync("erin");
        await Expect(page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Admin" })).ToBeVisibleAsync();
        Assert.Equal([("payments", TeamRole.Approver), ("search", TeamRole.Member)], await MembershipsAsync(app, "erin"));
        Assert.True(await IsAdminAsync(app, "erin"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "sso-signed-in-with-groups.png"), FullPage = true });

        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await page.ClickAsync("#user-menu");
        await page.ClickAsync("#sign-out");
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin"));
        await page.GotoAsync("/services");
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin"));

        await provider.SetUserAsync("erin", "Erin Example", "payments");
        await SignInWithProviderAsync(page, provider, "erin");

        await Expect(page.Locator("#user-menu")).ToContainTextAsync("erin");
        await Expect(page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Admin" })).ToHaveCountAsync(0);
        Assert.Equal([("payments", TeamRole.Member)], await MembershipsAsync(app, "erin"));
        Assert.False(await IsAdminAsync(app, "erin"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "sso-signed-in-after-groups-changed.png"), FullPage = true });
    }

    /// <summary>From the portal's sign-in page through the provider's own pages (login, consent when asked) back to the portal.</summary>
    private static async Task SignInWithProviderAsync(IPage page, LoopbackOidcProvider provider, string login)
    {
        await page.GotoAsync("/account/signin");
        await page.ClickAsync("text=Sign in with Loopback SSO");
        var portal = new Uri(page.Url).Authority;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        bool BackInThePortal(Uri url) => url.Authority == portal && !url.AbsolutePath.StartsWith("/account/signin", StringComparison.Ordinal) && !url.AbsolutePath.StartsWith("/signin-oidc", StringComparison.Ordinal);
        while (!BackInThePortal(new Uri(page.Url)))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Signing in is stuck at {page.Url}: {await page.InnerTextAsync("body")}");
            }

            if (new Uri(page.Url).Authority == provider.Issuer.Authority)
            {
                if (await page.Locator("input[name=login]").IsVisibleAsync())
                {
                    await page.FillAsync("input[name=login]", login);
                    await page.FillAsync("input[name=password]", "any password: the provider's development login");
                    await SubmitAsync(page);
                    continue;
                }

                if (await page.Locator("button[type=submit]").IsVisibleAsync())
                {
                    await SubmitAsync(page);
                    continue;
                }
            }

            await page.WaitForTimeoutAsync(100);
        }

        await Expect(page.Locator("#user-menu")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 20_000 });
    }

    private static async Task SubmitAsync(IPage page)
    {
        var before = page.Url;
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => url != before, new PageWaitForURLOptions { Timeout = 20_000 });
    }

    private static Task<List<(string, TeamRole)>> MembershipsAsync(PortalApp app, string userName) =>
        app.WithDbAsync(async db => (await db.TeamMembers.Where(m => m.User.UserName == userName).OrderBy(m => m.Team.Name).Select(m => new { m.Team.Name, m.Role }).ToListAsync())
            .Select(m => (m.Name, m.Role)).ToList());

    private static async Task<bool> IsAdminAsync(PortalApp app, string userName)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>();
        return await users.IsInRoleAsync((await users.FindByNameAsync(userName))!, Roles.Admin);
    }
}
