using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Portal.Identity;

namespace Portal.Rollouts;

/// <summary>
/// <c>/hubs/rollouts</c>: scripts and CI follow a rollout with <c>WatchRollout(requestId)</c>, a server-to-client stream
/// of snapshots that ends with the rollout, or with <c>FollowRollout(requestId)</c>, the same stream told as changes
/// (<see cref="RolloutChange"/>: a fraction of the bytes for many viewers). Same access as the page: the request's team
/// members and Admins.
/// Each snapshot is serialized once for all its viewers (<see cref="HubSnapshot"/>); on the wire it is a
/// <see cref="RolloutSnapshot"/>.
/// </summary>
[Authorize(Policy = Policies.Api)]
public sealed class RolloutHub(RolloutStreams streams) : Hub
{
    public async IAsyncEnumerable<HubSnapshot> WatchRollout(int requestId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!await streams.CanWatchAsync(Context.User!, requestId, cancellationToken))
        {
            throw new HubException($"Request #{requestId} does not exist or belongs to a team you are not a member of.");
        }

        await foreach (var snapshot in streams.WatchAsync(requestId, cancellationToken))
        {
            yield return HubSnapshot.Of(snapshot);
        }
    }

    /// <summary>
    /// The same stream as <see cref="WatchRollout"/>, each snapshot told as a <see cref="RolloutChange"/> from the one
    /// before it: unchanged lists are not sent again, new events are sent alone. The first message is the whole snapshot.
    /// </summary>
    public async IAsyncEnumerable<HubChange> FollowRollout(int requestId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!await streams.CanWatchAsync(Context.User!, requestId, cancellationToken))
        {
            throw new HubException($"Request #{requestId} does not exist or belongs to a team you are not a member of.");
        }

        RolloutSnapshot? sent = null;
        await foreach (var snapshot in streams.WatchAsync(requestId, cancellationToken))
        {
            yield return HubChange.Of(sent, snapshot);
            sent = snapshot;
        }
    }
}
