using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Portal.Identity;

namespace Portal.Rollouts;

/// <summary>
/// <c>/hubs/rollouts</c>: scripts and CI follow a rollout with <c>WatchRollout(requestId)</c>, a server-to-client stream
/// of snapshots that ends with the rollout. Same access as the page: the request's team members and Admins.
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
}
