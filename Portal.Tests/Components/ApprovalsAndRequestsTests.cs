using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog.Pages;
using Portal.Components.Layout;
using Portal.Identity.Pages;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

public sealed class ApprovalsAndRequestsTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task InboxListsAWaitingRequestForBobAndNotForAliceWhoMadeIt()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "inbox");

        await SignInAsAsync("bob");
        var forBob = Render<ApprovalInbox>();
        forBob.WaitForAssertion(() => Assert.NotEmpty(forBob.FindAll($"#inbox-request-{request.Id}")));
        Assert.Contains("first deploy to production: image inbox", forBob.Find("#inbox").TextContent);
        Assert.Contains("First deploy to production.", forBob.Find("#inbox").TextContent);

        await SignInAsAsync("alice");
        var forAlice = Render<ApprovalInbox>();
        forAlice.WaitForAssertion(() => Assert.Contains("Nothing waits for your approval", forAlice.Markup));
        Assert.Empty(forAlice.FindAll($"#inbox-request-{request.Id}"));
    }

    [Fact]
    public async Task ApprovingFromTheInboxRemovesTheRowAndStoresTheDecision()
    {
        // Approved requests get applied: a service of its own keeps that from superseding other tests' requests.
        var service = await App.RegisterServiceAsync("inbox-approve-svc");
        var request = await App.SubmitRequestAsync("alice", service.Name, "production", form => form.ImageTag = "inbox-approve");
        await SignInAsAsync("bob");
        var dialogs = RenderDialogProvider();
        var cut = Render<ApprovalInbox>();
        cut.WaitForElement($"#approve-{request.Id}");

        cut.Find($"#approve-{request.Id}").Click();
        Confirm(dialogs);

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll($"#inbox-request-{request.Id}")));
        var decision = await App.WithDbAsync(db => db.RequestDecisions.SingleAsync(d => d.RequestId == request.Id));
        Assert.Equal((DecisionKind.Approved, "bob"), (decision.Kind, decision.DecidedBy));
    }

    [Fact]
    public async Task InboxShowsANewRequestLiveWithoutAReload()
    {
        await SignInAsAsync("bob");
        var cut = Render<ApprovalInbox>();
        cut.WaitForAssertion(() => Assert.DoesNotContain("live-inbox", cut.Markup));

        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "live-inbox");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"#inbox-request-{request.Id}")));
    }

    [Fact]
    public async Task ApprovalsBadgeCountsWaitingRequestsAndFollowsDecisions()
    {
        await SignInAsAsync("bob");
        var principal = await App.PrincipalAsync("bob");
        var queries = App.Get<RequestQueries>();
        var nav = Render<NavMenu>();
        // A service of its own: applying the approved request supersedes the other open requests of its service, which
        // would leave the inbox too (the apply worker may take it on before the count below is read).
        var service = await App.RegisterServiceAsync("badge-api");
        var request = await App.SubmitRequestAsync("alice", service.Name, "production", form => form.ImageTag = "badge");
        var waiting = await queries.InboxCountAsync(principal);
        nav.WaitForAssertion(() => Assert.Equal(waiting.ToString(), nav.Find("#approvals-badge").TextContent.Trim()));

        await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("carol"), request.Id, null);

        var after = await queries.InboxCountAsync(principal);
        Assert.Equal(waiting - 1, after);
        nav.WaitForAssertion(() => Assert.Equal(after, nav.FindAll("#approvals-badge").Select(b => int.Parse(b.TextContent.Trim())).SingleOrDefault()));
    }

    [Fact]
    public async Task RequestsListShowsTheUsersRequestsAndFiltersByState()
    {
        var waiting = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "list-waiting");
        await App.SubmitRequestAsync("alice", "payments-api", "staging", form => form.ImageTag = "list-approved");
        await SignInAsAsync("alice");
        RenderPopoverProvider();
        var cut = Render<RequestList>();
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("list-waiting", cut.Markup);
            Assert.Contains("list-approved", cut.Markup);
        });
        Assert.Contains($"/requests/{waiting.Id}", cut.Markup);

        await cut.InvokeAsync(() => cut.FindComponent<MudBlazor.MudSelect<RequestState?>>().Instance.SelectOption(RequestState.AwaitingApproval));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("list-waiting", cut.Markup);
            Assert.DoesNotContain("list-approved", cut.Markup);
        });
    }

    [Fact]
    public async Task ServicePageShowsTheServicesRequestsItsCurrentRevisionAndDeployLinks()
    {
        await App.RegisterServiceAsync("history-svc");
        var deployed = await App.SubmitRequestAsync("alice", "history-svc", "staging", form => form.ImageTag = "v1");
        await App.MarkDeployedAsync(deployed.Id);
        var waiting = await App.SubmitRequestAsync("alice", "history-svc", "production", form => form.ImageTag = "v2");
        await SignInAsAsync("alice");

        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "history-svc"));

        cut.WaitForAssertion(() => Assert.Contains("revision 1", cut.Find("#revision-staging").TextContent));
        Assert.Contains("none yet", cut.Find("#revision-production").TextContent);
        Assert.Contains($"#{deployed.Id}", cut.Find("#history").TextContent);
        Assert.Contains($"#{waiting.Id}", cut.Find("#history").TextContent);
        Assert.EndsWith("/services/payments/history-svc/environments/production/deploy", cut.Find("#deploy-production").GetAttribute("href"));

        await SignInAsAsync("dave");
        var outsider = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "history-svc"));
        outsider.WaitForElement("#history-hidden");
        Assert.Empty(outsider.FindAll("#deploy-production"));
    }

    [Fact]
    public async Task NewTokenIsShownOnceListedByPrefixAndCanBeRevoked()
    {
        await SignInAsAsync("dave");
        var dialogs = RenderDialogProvider();
        var cut = Render<AccessTokens>();
        cut.WaitForElement("#token-name");
        Assert.Equal("30", cut.Find("#token-lifetime").GetAttribute("value"));

        cut.Change("#token-name", "search CI");
        cut.Click("#create-token");

        cut.WaitForElement("#new-token");
        var secret = cut.Find("#new-token").GetAttribute("value")!;
        Assert.StartsWith("pat_", secret);
        Assert.Contains("shown only this once", cut.Find("#new-token-alert").TextContent);
        var token = await App.WithDbAsync(db => db.PersonalAccessTokens.SingleAsync(t => t.Name == "search CI"));
        Assert.Contains(token.Prefix, cut.Find("#tokens").TextContent);

        cut.Click("#dismiss-token");
        Assert.DoesNotContain(secret, cut.Markup);
        cut.Find($"#revoke-token-{token.Id}").Click();
        Assert.Null(await App.WithDbAsync(db => db.PersonalAccessTokens.Where(t => t.Id == token.Id).Select(t => t.RevokedAt).SingleAsync()));
        Confirm(dialogs);

        cut.WaitForAssertion(() => Assert.Contains("revoked", cut.Find($"#token-status-{token.Id}").TextContent));
        Assert.NotNull(await App.WithDbAsync(db => db.PersonalAccessTokens.Where(t => t.Id == token.Id).Select(t => t.RevokedAt).SingleAsync()));
    }

    [Fact]
    public async Task AccessTokensPageIsAnInteractivePage()
    {
        var client = await App.SignedInClientAsync("dave");

        var tokens = await client.GetAsync("/account/tokens");

        Assert.Equal(System.Net.HttpStatusCode.OK, tokens.StatusCode);
        var html = await tokens.Content.ReadAsStringAsync();
        Assert.Contains("Create a token", html);
        Assert.Contains("\"type\":\"server\"", html);
    }

    [Fact]
    public async Task TokenLifetimeAboveAYearIsRefusedNextToTheField()
    {
        await SignInAsAsync("dave");
        var dialogs = RenderDialogProvider();
        var cut = Render<AccessTokens>();
        cut.WaitForElement("#token-name");

        cut.Change("#token-name", "too long");
        cut.Change("#token-lifetime", "400");
        cut.Click("#create-token");

        cut.WaitForAssertion(() => Assert.Contains("A token lives between 1 and 365 days.", cut.Find(".mud-input-control:has(#token-lifetime)").TextContent));
        Assert.Empty(cut.FindAll("#new-token"));
        Assert.Equal(0, await App.WithDbAsync(db => db.PersonalAccessTokens.CountAsync(t => t.Name == "too long")));
    }
}
