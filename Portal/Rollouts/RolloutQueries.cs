using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>What the rollout page shows of a request besides the live snapshot: who, where, its state and what was stored.</summary>
public sealed record RolloutView(
    int RequestId,
    string Team,
    string Service,
    string Environment,
    RequestState State,
    int? Revision,
    int? RollbackOfRevision,
    RolloutRecord? Record);

/// <summary>Read side of the rollout page; the same access rule as a request's page (its team's members and Admins).</summary>
public sealed class RolloutQueries(IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access)
{
    /// <summary>The view, or null with <c>Forbidden</c> set when the request exists but belongs to another team.</summary>
    public async Task<(RolloutView? View, bool Forbidden)> FindAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await db.DeploymentRequests.AsNoTracking()
            .Where(r => r.Id == requestId)
            .Select(r => new { r.Id, r.Service.TeamId, Team = r.Service.Team.Name, Service = r.Service.Name, r.Environment, r.State, r.Revision, r.RollbackOfRevision })
            .SingleOrDefaultAsync(cancellationToken);
        if (request is null)
        {
            return (null, false);
        }

        if (!await access.CanSeeAsync(user, request.TeamId, cancellationToken))
        {
            return (null, true);
        }

        var record = await db.RolloutRecords.AsNoTracking().SingleOrDefaultAsync(r => r.RequestId == requestId, cancellationToken);
        return (new RolloutView(request.Id, request.Team, request.Service, request.Environment, request.State, request.Revision, request.RollbackOfRevision, record), false);
    }
}
