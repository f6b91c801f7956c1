using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Requests;

/// <summary>
/// The requests waiting for an approval, per team, kept in memory: read once from the database, then maintained from the
/// <see cref="RequestNotifier"/>'s changes, so that the approvals badge in every circuit counts without a query.
/// </summary>
public sealed class InboxCounts(IDbContextFactory<PortalDbContext> dbFactory)
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim loading = new(1, 1);

    // team id -> (request id -> requester's user id)
    private Dictionary<int, Dictionary<int, string>>? waiting;

    /// <summary>The teams whose requests <paramref name="user"/> may approve; null for an Admin (every team).</summary>
    public async Task<IReadOnlySet<int>?> ApproverTeamsAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (TeamAccess.IsAdmin(user))
        {
            return null;
        }

        var userId = TeamAccess.UserId(user) ?? "";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.TeamMembers.Where(m => m.UserId == userId && m.Role == TeamRole.Approver).Select(m => m.TeamId).ToListAsync(cancellationToken)).ToHashSet();
    }

    /// <summary>How many requests of <paramref name="teams"/> (null: all) wait for an approval by someone other than their requester.</summary>
    public async Task<int> CountAsync(string userId, IReadOnlySet<int>? teams, CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken);
        lock (gate)
        {
            return waiting!
                .Where(team => teams is null || teams.Contains(team.Key))
                .Sum(team => team.Value.Values.Count(requester => requester != userId));
        }
    }

    /// <summary>Records whether a request waits for an approval now; true when that changed.</summary>
    internal async Task<bool> ApplyAsync(int requestId, int teamId, string requestedById, bool isWaiting)
    {
        // Counts first read now already hold this change: whether it changed them is unknown, so it did.
        var readNow = await EnsureLoadedAsync(CancellationToken.None);
        lock (gate)
        {
            if (!waiting!.TryGetValue(teamId, out var team))
            {
                waiting[teamId] = team = [];
            }

            var changed = isWaiting ? team.TryAdd(requestId, requestedById) : team.Remove(requestId);
            if (team.Count == 0)
            {
                waiting.Remove(teamId);
            }

            return changed || readNow;
        }
    }

    /// <summary>Reads the counts from the database unless they are in memory; true when they were not.</summary>
    private async Task<bool> EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref waiting) is not null)
        {
            return false;
        }

        await loading.WaitAsync(cancellationToken);
        try
        {
            if (waiting is not null)
            {
                return true;
            }

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var rows = await db.DeploymentRequests.AsNoTracking()
                .Where(r => r.State == RequestState.AwaitingApproval)
                .Select(r => new { r.Id, r.Service.TeamId, r.RequestedById })
                .ToListAsync(cancellationToken);
            var loaded = rows.GroupBy(r => r.TeamId).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Id, r => r.RequestedById));
            Volatile.Write(ref waiting, loaded);
            return true;
        }
        finally
        {
            loading.Release();
        }
    }
}
