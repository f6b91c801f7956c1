using Microsoft.Playwright;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Accessibility;

/// <summary>
/// The main pages scanned by axe-core in Chromium, light and dark: no serious or critical violations; and the whole
/// journey from sign-in to a submitted request with the keyboard alone. Screenshots go to TestResults/screenshots.
/// </summary>
public sealed class AccessibilityTests(Infrastructure.Browser browser, ITestOutputHelper output) : IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task TheMainPagesHaveNoSeriousOrCriticalAxeViolationsInLightAndDark()
    {
        var script = await AxeCore.ScriptAsync();
        await using var app = await PortalApp.StartAsync();
        var deployed = await app.SubmitRequestAsync("alice", "payments-api", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await app.MarkDeployedAsync(deployed.Id);
        await app.SubmitRequestAsync("alice", "payments-api", "production", form => { form.ImageTag = "v1"; form.Comment = "First production release"; });
        var pages = new (string User, string Name, string Path)[]
        {
            ("alice", "catalog", "/services"),
            ("alice", "service", "/services/payments/payments-api"),
            ("alice", "request-form", "/services/payments/payments-api/environments/staging/deploy"),
            ("alice", "request", $"/requests/{deployed.Id}"),
            ("alice", "rollout", $"/rollouts/{deployed.Id}"),
            ("bob", "approvals", "/approvals"),
            ("carol", "admin-teams", "/admin/teams"),
            ("carol", "admin-users", "/admin/users"),
            ("carol", "admin-clusters", "/admin/clusters"),
        };
        var violations = new List<AxeViolation>();

        await using (var anonymous = await NewContextAsync(app))
        {
            var signIn = await anonymous.NewPageAsync();
            await signIn.GotoAsync("/account/signin");
            violations.AddRange(await ScanAsync(signIn, "sign-in", script));
        }

        foreach (var dark in new[] { false, true })
        {
            foreach (var user in pages.Select(p => p.User).Distinct())
            {
                await app.Get<ThemePreference>().SetDarkAsync(TeamAccess.UserId(await app.PrincipalAsync(user))!, dark);
                await using var context = await NewContextAsync(app);
                var page = await SignInAsync(context, user);
                foreach (var (_, name, path) in pages.Where(p => p.User == user))
                {
                    await page.GotoAsync(path);
                    await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
                    await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                    violations.AddRange(await ScanAsync(page, $"{name}-{(dark ? "dark" : "light")}", script));
                }
            }
        }

        foreach (var violation in violations)
        {
            output.WriteLine(violation.ToString());
        }

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task TheWholeJourneyWorksWithTheKeyboardAlone()
    {
        await using var app = await PortalApp.StartAsync();
        await using var context = await NewContextAsync(app);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/services");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"));

        await TabToAsync(page, "#username");
        await page.Keyboard.TypeAsync("alice");
        await TabToAsync(page, "#password");
        await page.Keyboard.TypeAsync(DemoData.Password);
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Services", new() { Timeout = 30_000 });
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await TabToAsync(page, "a[href='/services/payments/payments-api']");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/services/payments/payments-api$"));
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await TabToAsync(page, "#deploy-staging");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/environments/staging/deploy$"));
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        await TabToAsync(page, "#image-tag");
        await page.Keyboard.TypeAsync("keyboard-1");
        await TabToAsync(page, "#review");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#review-step")).ToBeVisibleAsync();
        await TabToAsync(page, "#submit");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/requests/\\d+$"), new() { Timeout = 20_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "keyboard-journey-submitted.png"), FullPage = true });
        Assert.Equal(1, await app.WithDbAsync(db => Task.FromResult(db.DeploymentRequests.Count(r => r.ImageTag == "keyboard-1"))));
    }

    [Fact]
    public async Task Edge04TheLineBesideTheNavigationRunsTheWholeLengthOfALongPage()
    {
        await using var app = await PortalApp.StartAsync();
        await using var context = await NewContextAsync(app);
        var page = await SignInAsync(context, "alice");
        await page.GotoAsync("/services/payments/payments-api");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(page);
        // A page taller than the window, as a service with a long history is.
        await page.EvaluateAsync("() => { const d = document.createElement('div'); d.style.height = '3000px'; document.querySelector('.mud-main-content').appendChild(d); }");

        var measured = await page.EvaluateAsync<System.Text.Json.JsonElement>(
            "() => { const m = document.querySelector('.mud-main-content'); const r = m.getBoundingClientRect(); return { border: getComputedStyle(m).borderLeftWidth, bottom: r.bottom + window.scrollY, height: document.documentElement.scrollHeight }; }");
        var (border, bottom, height) = (measured.GetProperty("border").GetString(), measured.GetProperty("bottom").GetDouble(), measured.GetProperty("height").GetDouble());

        Assert.Equal("1px", border);
        Assert.True(bottom >= height - 1, $"the line ends at {bottom}px of a {height}px page");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, "drawer-line-on-a-long-page.png"), FullPage = true });
    }

    /// <summary>Presses Tab until the focused element is (or is inside) <paramref name="selector"/>: reachable by keyboard.</summary>
    private static async Task TabToAsync(IPage page, string selector, int most = 80)
    {
        for (var i = 0; i < most; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => { const e = document.activeElement; return !!e && (e.matches(s) || !!e.closest(s) || !!(e.id && document.querySelector(s)?.contains(e))); }", selector))
            {
                return;
            }
        }

        Assert.Fail($"{selector} is not reachable with Tab (tried {most} times) on {page.Url}");
    }

    private async Task<IReadOnlyList<AxeViolation>> ScanAsync(IPage page, string name, string script)
    {
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, $"axe-{name}.png"), FullPage = true });
        return await AxeCore.ScanAsync(page, name, script);
    }

    private async Task<IBrowserContext> NewContextAsync(PortalApp app)
    {
        var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        // A loaded two-core machine: pages may take longer than Playwright's defaults to arrive.
        context.SetDefaultNavigationTimeout(90_000);
        context.SetDefaultTimeout(30_000);
        return context;
    }

    private static async Task<IPage> SignInAsync(IBrowserContext context, string user)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", DemoData.Password);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#page-title")).ToBeVisibleAsync();
        return page;
    }
}
