using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Identity;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>
/// An open page keeps the access it was opened with only until that access changes: a member removed from the team
/// sees each open page of the team's (an interactive page and the rollout page's live island alike) reload and say it
/// is not theirs any more, without touching it.
/// </summary>
public sealed class AccessChangeJourneyTests(PortalApp app, Infrastructure.Browser browser) : IClassFixture<PortalApp>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task AMemberRemovedFromTheTeamSeesTheirOpenPagesOfItReloadAndRefuse()
    {
        await app.RegisterServiceAsync("access-change");
        var request = await app.SubmitRequestAsync("alice", "access-change", "production", form => form.ImageTag = "v1");
        await using var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var requestPage = await context.NewPageAsync();
        await Infrastructure.Browser.SignInAsync(requestPage, "alice", $"/requests/{request.Id}");
        await Expect(requestPage.Locator("#page-title")).ToContainTextAsync($"#{request.Id}");
        var rolloutPage = await context.NewPageAsync();
        await rolloutPage.GotoAsync($"/rollouts/{request.Id}");
        await Expect(rolloutPage.Locator("#rollout-live[data-interactive=true]")).ToBeVisibleAsync();
        var circuits = app.Get<UserCircuits>();
        var alice = await app.WithDbAsync(db => db.Users.Where(u => u.UserName == "alice").Select(u => u.Id).SingleAsync());
        await Poll.UntilAsync(() => circuits.CountFor(alice) == 2, TimeSpan.FromSeconds(10), "Both of alice's pages are not open yet.");

        var removed = await app.Get<TeamDirectory>().RemoveMemberAsync(await app.PrincipalAsync("carol"), "payments", alice);

        Assert.True(removed.Succeeded, removed.Message);
        await Expect(requestPage.GetByText("Not your team's request")).ToBeVisibleAsync();
        await Expect(rolloutPage.GetByText("Not your team's request")).ToBeVisibleAsync();
    }
}
