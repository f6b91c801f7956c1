using System.Net;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Catalog.Pages;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Rollouts;

/// <summary>The service page against the embedded Sandbox: live state per environment, drift, rollback.</summary>
public sealed class EnvironmentStatusTests : PortalComponentTest
{
    public EnvironmentStatusTests(PortalApp app)
        : base(app)
    {
    }

    [Fact]
    public async Task ServicePageReportsDriftWhenSomeoneChangesTheImageWithKubectl()
    {
        await App.RegisterServiceAsync("drift-api");
        var v1 = await App.SubmitRequestAsync("alice", "drift-api", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(v1.Id);
        var client = await App.SignedInClientAsync("alice");
        var page = await client.GetStringAsync("/services/payments/drift-api");
        Assert.Contains("Healthy", page);
        Assert.DoesNotContain("Drift:", page);

        App.KubectlSucceeds("-n payments-staging set image deploy/drift-api drift-api=nginx:9");

        var drift = "image is nginx:9 in the cluster, revision 1 says registry.example.com/payments/drift-api:v1";
        await EventuallyAsync(async () => Assert.Contains(drift, WebUtility.HtmlDecode(await client.GetStringAsync("/services/payments/drift-api"))));
    }

    [Fact]
    public async Task RollbackButtonCreatesARequestThatCopiesRevisionOne()
    {
        await App.RegisterServiceAsync("rollback-api");
        var v1 = await App.SubmitRequestAsync("alice", "rollback-api", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(v1.Id);
        var v2 = await App.SubmitRequestAsync("alice", "rollback-api", "staging", form => form.ImageTag = "v2");
        await App.MarkDeployedAsync(v2.Id);
        await SignInAsAsync("alice");
        var dialogs = RenderDialogProvider();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "rollback-api"));
        cut.WaitForElement("#rollback-staging-1");
        Assert.Empty(cut.FindAll("#rollback-staging-2"));

        cut.Click("#rollback-staging-1");
        Confirm(dialogs);

        cut.WaitForAssertion(() => Assert.Matches(@"/requests/\d+$", CurrentUri));
        var id = int.Parse(CurrentUri.Split('/')[^1]);
        var (first, rollback) = await App.WithDbAsync(async db => (await db.DeploymentRequests.SingleAsync(r => r.Id == v1.Id), await db.DeploymentRequests.SingleAsync(r => r.Id == id)));
        Assert.Equal(1, rollback.RollbackOfRevision);
        Assert.Equal(first.Spec.ToJson(), rollback.Spec.ToJson());
        Assert.Equal("Roll back to revision 1.", rollback.Comment);
    }

    [Fact]
    public async Task RollbackThatNeedsApprovalSaysItWaitsForAnApprover()
    {
        await App.RegisterServiceAsync("approval-api");
        foreach (var tag in new[] { "v1", "v2" })
        {
            var request = await App.SubmitRequestAsync("alice", "approval-api", "production", form => { form.ImageTag = tag; form.Replicas = 1; });
            Assert.True((await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("bob"), request.Id, null)).Succeeded);
            await App.MarkDeployedAsync(request.Id);
        }

        await SignInAsAsync("alice");
        var snackbar = Render<MudBlazor.MudSnackbarProvider>();
        var dialogs = RenderDialogProvider();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "approval-api"));
        cut.WaitForElement("#rollback-production-1");

        cut.Click("#rollback-production-1");
        Confirm(dialogs);

        cut.WaitForAssertion(() => Assert.Matches(@"/requests/\d+$", CurrentUri));
        var id = int.Parse(CurrentUri.Split('/')[^1]);
        Assert.Equal(RequestState.AwaitingApproval, await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync()));
        snackbar.WaitForAssertion(() => Assert.Contains("production requires an approval, so it waits for an Approver of payments", snackbar.Markup));
    }

    private static Task EventuallyAsync(Func<Task> assertion) => Poll.UntilPassesAsync(assertion, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
}
