using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed partial class RequestJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    private const string SecretValue = "browser-typed-secret-93c1f";

    [Fact]
    public async Task AliceRequestsAProductionDeployWithASecretBobApprovesItFromTheInboxAndAliceWatchesItRollOut()
    {
        await using var aliceContext = await NewContextAsync();
        var alice = await SignInAsync(aliceContext, "alice", "/services/payments/payments-api");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(alice);
        await alice.ClickAsync("#deploy-production");
        await Expect(alice.Locator("#page-title")).ToHaveTextAsync("Deploy payments-api to production");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(alice);
        await alice.FillAsync("#image-tag", "v2.0.0");
        await alice.ClickAsync("#add-secret");
        await alice.FillAsync("#secret-key-0", "DB_PASSWORD");
        await alice.FillAsync("#secret-value-0", SecretValue);
        await alice.FillAsync("#comment", "First production release");
        await Screenshot(alice, "alice-fills-the-request-form.png");
        await alice.ClickAsync("#review");
        await Expect(alice.Locator("#review-step")).ToContainTextAsync("secret DB_PASSWORD added");
        await Expect(alice.Locator("#review-risks")).ToContainTextAsync("First deploy to production.");
        await AssertNoSecretAsync(alice);
        await Screenshot(alice, "alice-reviews-her-production-request.png");
        await alice.ClickAsync("#submit");

        await Expect(alice).ToHaveURLAsync(RequestPage());
        var id = int.Parse(RequestPage().Match(alice.Url).Groups[1].Value);
        await Expect(alice.Locator("#state-chip")).ToHaveTextAsync("Awaiting approval");
        await Expect(alice.Locator("#spec-secrets")).ToContainTextAsync("DB_PASSWORD");
        await Expect(alice.Locator("#why-no-decision")).ToContainTextAsync("You requested this change");
        await Screenshot(alice, "alice-request-awaits-approval.png");
        await AssertNoSecretAsync(alice);

        await using var bobContext = await NewContextAsync();
        var bob = await SignInAsync(bobContext, "bob", "/services");
        await Expect(bob.Locator("#approvals-badge")).ToHaveTextAsync("1");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(bob);
        await bob.ClickAsync("nav >> text=Approvals");
        await Expect(bob.Locator("#page-title")).ToHaveTextAsync("Approvals");
        await Expect(bob.Locator($"#inbox-request-{id}")).ToBeVisibleAsync();
        await Expect(bob.Locator("#inbox")).ToContainTextAsync("secret DB_PASSWORD added");
        await AssertNoSecretAsync(bob);
        await bob.FillAsync($"#comment-{id}", "Go ahead");
        await Screenshot(bob, "bob-sees-the-request-in-his-inbox.png");
        await bob.ClickAsync($"#approve-{id}");
        await Expect(bob.Locator("#approve-confirm")).ToBeVisibleAsync();
        await bob.ClickAsync("#confirm-ok");
        await Expect(bob.Locator($"#inbox-request-{id}")).ToHaveCountAsync(0);
        await Expect(bob.Locator("#approvals-badge")).ToHaveCountAsync(0);
        await Screenshot(bob, "bob-approves-from-the-inbox.png");
        await AssertNoSecretAsync(bob);

        // Alice's page follows the decision and then the apply and rollout live, and shows the same after a reload.
        await Expect(alice.Locator("#state-chip")).ToHaveTextAsync("Succeeded", new() { Timeout = 30_000 });
        await alice.ReloadAsync();
        await Expect(alice.Locator("#state-chip")).ToHaveTextAsync("Succeeded");
        await Expect(alice.Locator("#decisions")).ToContainTextAsync("Approved by bob");
        await Screenshot(alice, "alice-sees-her-request-approved.png");
        await AssertNoSecretAsync(alice);

        await alice.ClickAsync("nav >> text=Requests");
        await Expect(alice.Locator("#page-title")).ToHaveTextAsync("Requests");
        await Expect(alice.Locator("tr", new PageLocatorOptions { HasText = "v2.0.0" })).ToContainTextAsync("Succeeded");
        await Screenshot(alice, "alice-requests-list.png");
        await alice.GotoAsync("/services/payments/payments-api");
        await Expect(alice.Locator("#history")).ToContainTextAsync($"#{id}");
        await Screenshot(alice, "payments-api-service-page-with-history.png");
        await AssertNoSecretAsync(alice);

        await bob.GotoAsync($"/requests/{id}");
        await Expect(bob.Locator("#state-chip")).ToHaveTextAsync("Succeeded");
        await AssertNoSecretAsync(bob);
    }

    [Fact]
    public async Task DaveOpensAccessTokensFromTheUserMenuCreatesOneAndSeesItOnlyOnce()
    {
        await using var context = await NewContextAsync();
        var dave = await SignInAsync(context, "dave", "/services");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(dave);

        await dave.ClickAsync("#user-menu");
        await dave.ClickAsync("#menu-tokens");
        await Expect(dave.Locator("#page-title")).ToHaveTextAsync("Access tokens");
        await Infrastructure.Browser.WaitUntilInteractiveAsync(dave);
        await dave.FillAsync("#token-name", "search CI");
        await dave.ClickAsync("#create-token");

        await Expect(dave.Locator("#new-token-alert")).ToContainTextAsync("shown only this once");
        var token = await dave.Locator("#new-token").InputValueAsync();
        Assert.StartsWith("pat_", token);
        await Expect(dave.Locator("#tokens")).ToContainTextAsync(token[..10]);
        await Screenshot(dave, "dave-creates-an-access-token.png");

        await dave.ReloadAsync();
        await Expect(dave.Locator("#tokens")).ToContainTextAsync("search CI");
        Assert.DoesNotContain(token, await dave.ContentAsync());
    }

    private async Task<IBrowserContext> NewContextAsync() =>
        await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });

    private static async Task<IPage> SignInAsync(IBrowserContext context, string user, string returnUrl)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/account/signin?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(returnUrl) + "$"));
        return page;
    }

    private static async Task AssertNoSecretAsync(IPage page) => Assert.DoesNotContain(SecretValue, await page.ContentAsync());

    private static async Task Screenshot(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Infrastructure.Browser.ScreenshotDirectory, name), FullPage = true });

    [GeneratedRegex(@"/requests/(\d+)$")]
    private static partial Regex RequestPage();
}
