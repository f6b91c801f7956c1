using System.Collections.Concurrent;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

/// <summary>Keyed request notifications and the approvals inbox counts kept from them.</summary>
public sealed class RequestNotifierTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task SubscriberOfServiceAIsNotWokenByServiceB()
    {
        var a = await app.RegisterServiceAsync("notified-a");
        var b = await app.RegisterServiceAsync("notified-b");
        var notifier = app.Get<RequestNotifier>();
        var wokenForA = new ConcurrentQueue<RequestChanged>();
        var wokenForB = new TaskCompletionSource<RequestChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var followingA = notifier.Subscribe(RequestTopic.Service(a.Id), change =>
        {
            wokenForA.Enqueue(change);
            return Task.CompletedTask;
        });
        using var followingB = notifier.Subscribe(RequestTopic.Service(b.Id), change =>
        {
            wokenForB.TrySetResult(change);
            return Task.CompletedTask;
        });
        var alice = await app.ClientAsync("alice");

        // Production waits for an approval: nothing is applied, so these are the only changes of the two services.
        var forB = await (await alice.SubmitAsync("payments", b.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();
        var change = await wokenForB.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(wokenForA);
        var forA = await (await alice.SubmitAsync("payments", a.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();

        Assert.Equal((forB, b.Id, RequestState.AwaitingApproval), (change.RequestId, change.ServiceId, change.State));
        var seen = Assert.Single(wokenForA);
        Assert.Equal((forA, a.Id), (seen.RequestId, seen.ServiceId));
    }

    [Fact]
    public async Task SubscriberOfARequestIsWokenForThatRequestOnly()
    {
        var service = await app.RegisterServiceAsync("notified-request");
        var alice = await app.ClientAsync("alice");
        var first = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();
        var woken = new ConcurrentQueue<int>();
        using var following = app.Get<RequestNotifier>().Subscribe(RequestTopic.Request(first), change =>
        {
            woken.Enqueue(change.RequestId);
            return Task.CompletedTask;
        });

        await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-other" })).SubmittedIdAsync();
        await alice.DecideAsync(first, "cancel");

        Assert.Equal([first], woken);
    }

    [Fact]
    public async Task InboxCountIsKeptInMemoryFromTheNotifications()
    {
        var counts = app.Get<InboxCounts>();
        var bobPrincipal = await app.PrincipalAsync("bob");
        var bobId = TeamAccess.UserId(bobPrincipal)!;
        var teams = await counts.ApproverTeamsAsync(bobPrincipal);
        var before = await counts.CountAsync(bobId, teams);
        var service = await app.RegisterServiceAsync("inbox-count");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");

        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();
        var waiting = await counts.CountAsync(bobId, teams);
        var queried = await app.Get<RequestQueries>().InboxCountAsync(bobPrincipal);
        await bob.DecideAsync(id, "reject", "not now");

        Assert.Equal(before + 1, waiting);
        Assert.Equal(queried, waiting);
        Assert.Equal(before, await counts.CountAsync(bobId, teams));
        Assert.Equal(await app.Get<RequestQueries>().InboxCountAsync(bobPrincipal), await counts.CountAsync(bobId, teams));
    }

    [Fact]
    public async Task TheFirstChangeAfterAStartIsAnInboxChangeThoughTheCountsReadThenAlreadyHoldIt()
    {
        // A portal just started reads its counts when the first change comes: they already hold that change, and the
        // inbox pages following it must still be told (a fresh instance of the counts, as after a start).
        var service = await app.RegisterServiceAsync("inbox-first");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();
        var fresh = new InboxCounts(app.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Data.PortalDbContext>>());
        var alicesId = TeamAccess.UserId(await app.PrincipalAsync("alice"))!;

        var first = await fresh.ApplyAsync(id, service.TeamId, alicesId, isWaiting: true);
        var again = await fresh.ApplyAsync(id, service.TeamId, alicesId, isWaiting: true);

        Assert.True(first);
        Assert.False(again);
    }
}
