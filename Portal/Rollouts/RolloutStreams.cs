using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Rollouts;

/// <summary>The snapshots of one rollout as a stream, from the latest until it ends, for whoever may see the request.</summary>
public sealed class RolloutStreams(RolloutNotifier notifier, Requests.RequestNotifier requestNotifier, IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access, TimeProvider time)
{
    private const int Backlog = 64;

    public async Task<bool> CanWatchAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var teamId = await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => (int?)r.Service.TeamId).SingleOrDefaultAsync(cancellationToken);
        return teamId is { } team && await access.CanSeeAsync(user, team, cancellationToken);
    }

    /// <summary>The latest snapshot: live if the rollout is followed now, else the one stored when it was.</summary>
    public async Task<RolloutSnapshot?> LatestAsync(int requestId, CancellationToken cancellationToken)
    {
        if (await notifier.LatestAsync(requestId) is { } live)
        {
            return live;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.RolloutRecords.Where(r => r.RequestId == requestId).Select(r => r.LastSnapshot).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>The latest snapshot, or "not applied yet" for a request whose rollout has not started.</summary>
    public async Task<RolloutSnapshot> CurrentAsync(int requestId, CancellationToken cancellationToken) =>
        await LatestAsync(requestId, cancellationToken) ?? await NotAppliedYetAsync(requestId, cancellationToken);

    private async Task<RolloutSnapshot> NotAppliedYetAsync(int requestId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var state = await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => r.State).SingleAsync(cancellationToken);
        return NotApplied(requestId, state, time.GetUtcNow());
    }

    private static RolloutSnapshot NotApplied(int requestId, Requests.RequestState state, DateTimeOffset now)
    {
        var snapshot = RolloutSnapshot.Waiting(requestId, $"Not applied yet: the request is {Requests.RequestLifecycle.Describe(state)}.", now);
        // A request that will never be applied ends the stream at once.
        return WillNeverApply(state) ? snapshot with { Phase = RolloutPhase.Failed } : snapshot;
    }

    /// <summary>
    /// Hands <paramref name="next"/> each snapshot the rollout publishes from now on, and a final "not applied" one when
    /// the request is rejected, cancelled, superseded or expired meanwhile (it has no rollout to end what follows it).
    /// </summary>
    internal static IDisposable Subscribe(RolloutNotifier notifier, Requests.RequestNotifier requestNotifier, TimeProvider time, int requestId, Action<RolloutSnapshot> next) =>
        new DisposedTogether(
            notifier.Subscribe(requestId, snapshot =>
            {
                next(snapshot);
                return Task.CompletedTask;
            }),
            requestNotifier.Subscribe(Requests.RequestTopic.Request(requestId), change =>
            {
                if (WillNeverApply(change.State))
                {
                    next(NotApplied(requestId, change.State, time.GetUtcNow()));
                }

                return Task.CompletedTask;
            }));

    private static bool WillNeverApply(Requests.RequestState state) =>
        state is Requests.RequestState.Rejected or Requests.RequestState.Cancelled or Requests.RequestState.Superseded or Requests.RequestState.Expired;

    public async IAsyncEnumerable<RolloutSnapshot> WatchAsync(int requestId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Every state is sent; only a viewer that falls this far behind skips the oldest ones instead of holding memory.
        // The publisher's thread carries on into the reader (its send is queued to the connection's transport), so a
        // snapshot reaches every viewer without one thread-pool hop per viewer.
        var channel = Channel.CreateBounded<RolloutSnapshot>(new BoundedChannelOptions(Backlog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, AllowSynchronousContinuations = true });
        using var subscription = Subscribe(notifier, requestNotifier, time, requestId, snapshot => channel.Writer.TryWrite(snapshot));
        var latest = await CurrentAsync(requestId, cancellationToken);
        yield return latest;
        if (latest.IsFinal)
        {
            yield break;
        }

        await foreach (var snapshot in channel.Reader.ReadAllAsync(cancellationToken))
        {
            if (snapshot.At < latest.At)
            {
                // Published between the subscription and reading the latest: already sent.
                continue;
            }

            yield return snapshot;
            if (snapshot.IsFinal)
            {
                yield break;
            }
        }
    }
}
