using System.Net;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Requests;
using Portal.Requests.Components;
using Portal.Requests.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

public sealed class RequestPageTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task RequesterSeesNoApproveButtonAndIsToldWhy()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "requester-view");
        await SignInAsAsync("alice");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("Awaiting approval", cut.Find("#state-chip").TextContent));
        Assert.Empty(cut.FindAll($"#approve-{request.Id}"));
        Assert.Empty(cut.FindAll($"#reject-{request.Id}"));
        Assert.Contains("You requested this change, so you cannot approve or reject it", cut.Find("#why-no-decision").TextContent);
        Assert.NotEmpty(cut.FindAll("#cancel-request"));
    }

    [Fact]
    public async Task RequestPageShowsHeaderReviewSpecAndTimeline()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form =>
        {
            form.ImageTag = "page-view";
            form.EnvVars.Add(new EnvVarRow { Name = "REGION", Value = "eu-west-1" });
            form.Comment = "Ship it";
        });
        await SignInAsAsync("bob");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("requested by alice", cut.Find("#request-header").TextContent));
        Assert.Contains("payments-api", cut.Find("#page-title").TextContent);
        Assert.Contains("registry.example.com/payments/api:page-view", cut.Find("#spec-image").TextContent);
        Assert.Contains("REGION", cut.Find("#spec-env").TextContent);
        Assert.Contains("first deploy to production: image page-view", cut.Find("#review-changes").TextContent);
        Assert.Contains("First deploy to production.", cut.Find("#review-risks").TextContent);
        Assert.Contains("Ship it", cut.Find("#request-comment").TextContent);
        Assert.Contains("Submitted → Awaiting approval", cut.Find("#timeline").TextContent);
        Assert.NotEmpty(cut.FindAll($"#approve-{request.Id}"));
    }

    [Fact]
    public async Task ApproverApprovesOnTheRequestPageAndTheStateChanges()
    {
        // A service of its own: another test's production deploy of payments-api would supersede this request.
        var service = await App.RegisterServiceAsync("approve-on-page");
        var request = await App.SubmitRequestAsync("alice", service.Name, "production", form => form.ImageTag = "approve-on-page");
        await SignInAsAsync("bob");
        var dialogs = RenderDialogProvider();
        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));
        cut.WaitForElement($"#approve-{request.Id}");

        cut.Find($"#comment-{request.Id}").Change("Looks good");
        cut.Find($"#approve-{request.Id}").Click();
        Confirm(dialogs);

        // The apply worker takes an approved request at once, so the page may already be past Approved.
        cut.WaitForAssertion(() => Assert.Contains("Approved by bob", cut.Find("#decisions").TextContent));
        Assert.DoesNotContain("Awaiting approval", cut.Find("#state-chip").TextContent);
        Assert.Contains("Looks good", cut.Find("#decisions").TextContent);
        Assert.Contains(await StateOfAsync(request.Id), new[] { RequestState.Approved, RequestState.Applying, RequestState.RollingOut, RequestState.Succeeded });
    }

    [Fact]
    public async Task RejectWithoutACommentAsksForOneAndChangesNothing()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "reject-needs-comment");
        await SignInAsAsync("bob");
        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));
        cut.WaitForElement($"#reject-{request.Id}");

        cut.Find($"#reject-{request.Id}").Click();

        cut.WaitForAssertion(() => Assert.Contains("Say why you reject the request", cut.Find($".mud-input-control:has(#comment-{request.Id})").TextContent));
        Assert.Equal(RequestState.AwaitingApproval, await StateOfAsync(request.Id));
    }

    [Fact]
    public async Task SlowerOfTwoApproversIsToldTheRequestIsAlreadyDecided()
    {
        // Approved requests get applied: a service of its own keeps that from superseding other tests' requests.
        var service = await App.RegisterServiceAsync("race-svc");
        var request = await App.SubmitRequestAsync("alice", service.Name, "production", form => form.ImageTag = "race");
        await SignInAsAsync("bob");
        Outcome<DeploymentRequest>? seen = null;
        var snackbars = Render<MudSnackbarProvider>();
        var dialogs = RenderDialogProvider();
        var panel = Render<DecisionPanel>(p => p.Add(x => x.RequestId, request.Id).Add(x => x.OnDecided, outcome => seen = outcome));

        Assert.True((await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("carol"), request.Id, "first")).Succeeded);
        panel.Find($"#approve-{request.Id}").Click();
        Confirm(dialogs);

        panel.WaitForAssertion(() => Assert.Equal(OutcomeKind.Conflict, seen?.Kind));
        // Carol's approval won; the apply worker may already have taken the request further.
        Assert.Matches("already (approved|applying|rolling out|succeeded)", seen!.Message);
        snackbars.WaitForAssertion(() => Assert.Contains(seen.Message!, snackbars.Markup));
        Assert.Equal(1, await App.WithDbAsync(db => db.RequestDecisions.CountAsync(d => d.RequestId == request.Id)));
    }

    [Fact]
    public async Task SupersededRequestExplainsWhyAndOffersToResubmitOnTopOfTheCurrentRevision()
    {
        await App.RegisterServiceAsync("superseded-svc");
        var stale = await App.SubmitRequestAsync("alice", "superseded-svc", "production", form =>
        {
            form.ImageTag = "v2";
            form.Replicas = 4;
            form.EnvVars.Add(new EnvVarRow { Name = "FEATURE_X", Value = "on" });
        });
        var winner = await App.SubmitRequestAsync("bob", "superseded-svc", "production", form => form.ImageTag = "v1");
        Assert.True((await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("carol"), winner.Id, null)).Succeeded);
        await App.MarkDeployedAsync(winner.Id);
        await SignInAsAsync("alice");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, stale.Id));

        cut.WaitForAssertion(() => Assert.Contains("Superseded", cut.Find("#state-chip").TextContent));
        Assert.Contains($"Request #{winner.Id} was applied first: this one no longer starts from what production runs.", cut.Find("#superseded").TextContent);
        Assert.Contains($"Revision 1 (request #{winner.Id}) is the last good revision there.", cut.Find("#superseded").TextContent);
        Assert.EndsWith($"/services/payments/superseded-svc/environments/production/deploy?from={stale.Id}", cut.Find("#resubmit").GetAttribute("href"));

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("from", stale.Id));
        var form = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, "superseded-svc").Add(x => x.EnvironmentName, "production"));
        form.WaitForElement("#image-tag");
        form.WaitForElement(".image-tag-state[data-tags=loaded]");
        Assert.Equal("v2", form.Find("#image-tag").GetAttribute("value"));
        Assert.Equal("4", form.Find("#replicas").GetAttribute("value"));
        Assert.Equal("FEATURE_X", form.Find("#env-name-0").GetAttribute("value"));
        Assert.Contains("Starts from revision 1", form.Find("#form-basis").TextContent);
        form.Submit("form");
        form.WaitForAssertion(() => Assert.Contains("image v1 → v2", form.Find("#review-changes").TextContent));
    }

    [Fact]
    public async Task OtherTeamsMemberIsToldItIsNotTheirTeamsRequest()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "outsider");
        await SignInAsAsync("dave");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("Not your team's request", cut.Markup));
        Assert.DoesNotContain("outsider", cut.Markup);
    }

    [Fact]
    public async Task RequestPageAnswers403ToAnotherTeamAnd404ForAnUnknownId()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "status-codes");
        var dave = await App.SignedInClientAsync("dave");
        var alice = await App.SignedInClientAsync("alice");

        var forbidden = await dave.GetAsync($"/requests/{request.Id}");
        var missing = await alice.GetAsync("/requests/999999");
        var mine = await alice.GetAsync($"/requests/{request.Id}");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("Not your team&#x27;s request", await forbidden.Content.ReadAsStringAsync());
        Assert.DoesNotContain("status-codes", await forbidden.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Contains("status-codes", await mine.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RequesterCancelsTheirWaitingRequest()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "to-cancel");
        await SignInAsAsync("alice");
        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));
        cut.WaitForElement("#cancel-request");

        cut.Click("#cancel-request");

        cut.WaitForAssertion(() => Assert.Contains("Cancelled", cut.Find("#state-chip").TextContent));
        Assert.Empty(cut.FindAll("#cancel-request"));
        Assert.Equal(RequestState.Cancelled, await StateOfAsync(request.Id));
    }

    private Task<RequestState> StateOfAsync(int id) => App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync());
}
