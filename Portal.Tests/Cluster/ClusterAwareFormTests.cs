using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cluster;

/// <summary>The request form and the request page with what the cluster says: live diff, refusals, caps.</summary>
public sealed class ClusterAwareFormTests(ClusterAwarePortal fixture) : PortalComponentTest(fixture.App), IClassFixture<ClusterAwarePortal>
{
    [Fact]
    public async Task TheReviewStepShowsTheLiveDiffAfterAScaleMadeOutsideThePortal()
    {
        await App.RegisterServiceAsync("form-drift");
        var first = await App.SubmitRequestAsync("alice", "form-drift", "staging", form => (form.ImageTag, form.Replicas) = ("v1", 2));
        await App.WaitForStateAsync(first.Id, RequestState.Succeeded);
        App.KubectlSucceeds("scale deployment form-drift -n payments-staging --replicas=4");
        await SignInAsAsync("alice");

        var cut = RenderForm("form-drift", "staging");
        RequestFormTests.TypeTag(cut, "v2");
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        cut.WaitForAssertion(() => Assert.Contains("replicas 4 → 2", cut.FindAll(".live-diff-change").Select(e => e.TextContent.Trim())));
        Assert.Contains("-  replicas: 4", cut.Find("#live-diff-yaml").TextContent);
        Assert.Contains("+  replicas: 2", cut.Find("#live-diff-yaml").TextContent);
        Assert.Contains("fits the namespace's quota and the nodes", cut.Find("#capacity-fits").TextContent);
    }

    [Fact]
    public async Task ADryRunRefusalShowsTheServersMessageOnTheFormAndStoresNothing()
    {
        await App.RegisterServiceAsync("form-refused");
        await SignInAsAsync("alice");

        var cut = RenderForm("form-refused", "broken");
        RequestFormTests.TypeTag(cut, "v1");
        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.Contains("Namespace \"payments.broken\" is invalid", cut.Find("#form-message").TextContent));
        Assert.StartsWith("The cluster refused this change in a dry run", cut.Find("#form-message").TextContent.Trim());
        Assert.Empty(cut.FindAll("#review-step"));
        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "form-refused")));
    }

    [Theory]
    [InlineData("#cpu-limit", "3", "CPU limit (3) is above the maximum of 2 in staging.")]
    [InlineData("#memory-limit", "3Gi", "Memory limit (3Gi) is above the maximum of 2Gi in staging.")]
    public async Task ResourcesAboveTheEnvironmentsCapShowTheMessageNextToTheField(string field, string value, string message)
    {
        await SignInAsAsync("alice");
        var cut = RenderForm("payments-api", "staging");
        RequestFormTests.TypeTag(cut, "v1");

        cut.Find(field).Change(value);
        cut.Submit("form");

        cut.WaitForAssertion(() =>
        {
            var control = cut.Find($".mud-input-control:has({field})");
            Assert.Contains(message, control.QuerySelector(".mud-input-helper-text")?.TextContent ?? "");
        });
        Assert.Empty(cut.FindAll("#review-step"));
    }

    [Fact]
    public async Task TheRequestPageShowsTheApproverTheLiveDiffAskedWhenViewed()
    {
        await App.RegisterServiceAsync("approver-view");
        var first = await App.SubmitRequestAsync("alice", "approver-view", "gated", form => (form.ImageTag, form.Replicas) = ("v1", 2));
        Assert.True((await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("bob"), first.Id, null)).Succeeded);
        await App.WaitForStateAsync(first.Id, RequestState.Succeeded);
        App.KubectlSucceeds("scale deployment approver-view -n payments-gated --replicas=5");
        var request = await App.SubmitRequestAsync("alice", "approver-view", "gated", form => form.ImageTag = "v2");
        Assert.Equal(RequestState.AwaitingApproval, request.State);
        await SignInAsAsync("bob");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("replicas 5 → 2", cut.FindAll(".live-diff-change").Select(e => e.TextContent.Trim())));
        Assert.Contains("image registry.example.com/payments/approver-view:v1 → registry.example.com/payments/approver-view:v2", cut.FindAll(".live-diff-change").Select(e => e.TextContent.Trim()));
        Assert.Contains("-  replicas: 5", cut.Find("#live-diff-yaml").TextContent);
    }

    private IRenderedComponent<RequestEditor> RenderForm(string service, string environment)
    {
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, service).Add(x => x.EnvironmentName, environment));
        cut.WaitForElement("#image-tag");
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        return cut;
    }
}
