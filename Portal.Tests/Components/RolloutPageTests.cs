using System.Net;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Portal.Rollouts;
using Portal.Rollouts.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

public sealed class RolloutPageTests : PortalComponentTest
{
    public RolloutPageTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<RolloutNotifier>());
        Services.AddSingleton(app.Get<RolloutStreams>());
        Services.AddSingleton(app.Get<RolloutQueries>());
    }

    [Fact]
    public async Task LivePageShowsEachPublishedSnapshotWithoutBeingRenderedAgain()
    {
        // A production request waits for approval: nothing but this test publishes snapshots for it.
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "live-page");
        await SignInAsAsync("alice");
        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, request.Id));
        cut.WaitForAssertion(() => Assert.Contains("waits for an approval", cut.Find("#rollout-message").TextContent));
        var notifier = App.Get<RolloutNotifier>();
        var at = DateTimeOffset.UtcNow;

        await notifier.PublishAsync(Snapshot(request.Id, at, RolloutPhase.Progressing,
            "Waiting for deployment \"payments-api\" rollout to finish: 1 of 3 updated replicas are available...",
            "new pods crash: CrashLoopBackOff (5 restarts)", updated: 1, ready: 0, available: 0,
            [new PodState("payments-api-7d9-abcde", true, "Running", "CrashLoopBackOff", 5, false, "sandbox-node-1"), new PodState("payments-api-5c4-fghij", false, "Running", null, 0, true, "sandbox-node-2")]));

        cut.WaitForAssertion(() => Assert.Equal("new pods crash: CrashLoopBackOff (5 restarts)", cut.Find("#blocking").TextContent.Trim()));
        Assert.Contains("Progressing", cut.Find("#phase-chip").TextContent);
        Assert.Contains("1 of 3 updated replicas are available", cut.Find("#rollout-message").TextContent);
        Assert.Equal("1 / 3", cut.Find("#count-updated").TextContent.Trim());
        Assert.Equal("0 / 3", cut.Find("#count-ready").TextContent.Trim());
        Assert.Contains("CrashLoopBackOff", cut.Find("#pod-payments-api-7d9-abcde").TextContent);
        Assert.Contains("sandbox-node-2", cut.Find("#pod-payments-api-5c4-fghij").TextContent);
        Assert.Contains("payments-api-7d9", cut.Find(".replicaset-new").TextContent);
        Assert.Contains("payments-api-5c4", cut.Find(".replicaset-old").TextContent);

        await notifier.PublishAsync(Snapshot(request.Id, at.AddSeconds(5), RolloutPhase.Succeeded,
            "deployment \"payments-api\" successfully rolled out", null, updated: 3, ready: 3, available: 3,
            [new PodState("payments-api-7d9-abcde", true, "Running", null, 5, true, "sandbox-node-1")]));

        cut.WaitForAssertion(() => Assert.Contains("Succeeded", cut.Find("#phase-chip").TextContent));
        Assert.Empty(cut.FindAll("#blocking"));
        Assert.Equal("3 / 3", cut.Find("#count-available").TextContent.Trim());
        Assert.Empty(cut.FindAll("#pod-payments-api-5c4-fghij"));
        Assert.Contains("Succeeded: deployment \"payments-api\" successfully rolled out", cut.Find("#rollout-timeline").TextContent);
    }

    [Fact]
    public async Task AnOlderSnapshotArrivingLateDoesNotReplaceANewerOne()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "late-snapshot");
        await SignInAsAsync("alice");
        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, request.Id));
        cut.WaitForElement("#rollout-message");
        var notifier = App.Get<RolloutNotifier>();
        var at = DateTimeOffset.UtcNow;

        await notifier.PublishAsync(Snapshot(request.Id, at, RolloutPhase.Failed, "deployment \"payments-api\" exceeded its progress deadline", "image not found: ErrImagePull", 0, 0, 0, []));
        await notifier.PublishAsync(Snapshot(request.Id, at.AddSeconds(-3), RolloutPhase.Progressing, "Waiting...", null, 0, 0, 0, []));

        cut.WaitForAssertion(() => Assert.Contains("Failed", cut.Find("#phase-chip").TextContent));
        Assert.Equal("image not found: ErrImagePull", cut.Find("#blocking").TextContent.Trim());
    }

    [Fact]
    public async Task SomeoneFromAnotherTeamIsToldItIsNotTheirTeamsRequest()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "other-team");
        await SignInAsAsync("dave");

        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("Not your team's request", cut.Markup));
        Assert.DoesNotContain("other-team", cut.Markup);
        Assert.Empty(cut.FindAll("#rollout-message"));
    }

    [Fact]
    public async Task AnUnknownRequestIsNotFound()
    {
        await SignInAsAsync("carol");

        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, 987654));

        cut.WaitForAssertion(() => Assert.Contains("There is no request #987654.", cut.Markup));
    }

    [Fact]
    public async Task PrerenderedPageAnswers403ToAnotherTeamAnd404ForAnUnknownRequest()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "prerender-status");
        var dave = await App.SignedInClientAsync("dave");
        var alice = await App.SignedInClientAsync("alice");

        var forbidden = await dave.GetAsync($"/rollouts/{request.Id}");
        var unknown = await alice.GetAsync("/rollouts/987655");
        var own = await alice.GetAsync($"/rollouts/{request.Id}");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("Not your team", await forbidden.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("waits for an approval", await own.Content.ReadAsStringAsync());
    }

    private static RolloutSnapshot Snapshot(int id, DateTimeOffset at, RolloutPhase phase, string message, string? blocking, int updated, int ready, int available, IReadOnlyList<PodState> pods) =>
        new(id, phase, message, blocking, 3, updated, ready, available,
            [new ReplicaSetState("payments-api-7d9", "2", true, 3, ready, available), new ReplicaSetState("payments-api-5c4", "1", false, 3 - updated, 3 - ready, 3 - available)],
            pods,
            [new EventLine(at, "Warning", "BackOff", "pod/payments-api-7d9-abcde", "Back-off restarting failed container", 5)],
            TimeSpan.FromSeconds(42),
            TimeSpan.FromSeconds(600),
            at);
}
