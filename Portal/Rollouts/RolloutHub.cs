using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Portal.Identity;

namespace Portal.Rollouts;

/// <summary>
/// <c>/hubs/rollouts</c>: scripts and CI follow a rollout with <c>WatchRollout(requestId)</c>, a server-to-client stream
/// of snapshots that ends with the rollout, or with <c>FollowRollout(requestId)</c>, the same stream told as changes
/// (<see cref="RolloutChange"/>: a fraction of the bytes for many viewers). Clients of many rollouts, or many clients of
/// one, <c>JoinRollout(requestId)</c> instead: the same changes sent to the client method <c>RolloutChanged</c>, made and
/// serialized once for every viewer (<see cref="RolloutRooms"/>). JSON or MessagePack (<see cref="HubMessagePack"/>).
/// Same access as the page: the request's team members and Admins.
/// Each snapshot is serialized once for all its viewers (<see cref="HubSnapshot"/>); on the wire it is a
/// <see cref="RolloutSnapshot"/>.
/// </summary>
[Authorize(Policy = Policies.Api)]
public sealed class RolloutHub(RolloutStreams streams, RolloutRooms rooms, RolloutHubConnections connections) : Hub
{
    /// <summary>
    /// Follows a rollout through the client method <c>RolloutChanged</c> (<see cref="RolloutRooms.ClientMethod"/>): the
    /// first message is the latest snapshot whole (a <see cref="RolloutChange"/> from nothing), each next one a change
    /// from the one before, until the rollout's final one. Each message is made and serialized once for all its viewers.
    /// One connection may follow several rollouts: each message names its request. Returns once the first message is sent.
    /// </summary>
    public async Task JoinRollout(int requestId)
    {
        if (!await streams.CanWatchAsync(Context.User!, requestId, Context.ConnectionAborted))
        {
            throw new HubException($"Request #{requestId} does not exist or belongs to a team you are not a member of.");
        }

        var connection = connections.Find(Context.ConnectionId) ?? throw new HubException("The connection is closing.");
        await rooms.JoinAsync(connection, requestId, cancellationToken => streams.CurrentAsync(requestId, cancellationToken));
    }

    /// <summary>Stops following a rollout joined with <see cref="JoinRollout"/> (closing the connection does as much).</summary>
    public void LeaveRollout(int requestId) => rooms.Leave(Context.ConnectionId, requestId);

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
