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
    RolloutRecord? Record,
    int ServiceId = 0,
    bool CanChange = false);

/// <summary>Read side of the rollout page; the same access rule as a request's page (its team's members and Admins).</summary>
public sealed class RolloutQueries(IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access)
{
    /// <summary>How many of a rollout's last timeline lines a page shows (and keeps).</summary>
    public const int MaxTimelineLines = 50;

    /// <summary>The view, or null with <c>Forbidden</c> set when the request exists but belongs to another team.</summary>
    public async Task<(RolloutView? View, bool Forbidden)> FindAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await db.DeploymentRequests.AsNoTracking()
            .Where(r => r.Id == requestId)
            .Select(r => new { r.Id, r.ServiceId, r.Service.TeamId, Team = r.Service.Team.Name, Service = r.Service.Name, r.Environment, r.State, r.Revision, r.RollbackOfRevision })
            .SingleOrDefaultAsync(cancellationToken);
        if (request is null)
        {
            return (null, false);
        }

        if (!await access.CanSeeAsync(user, request.TeamId, cancellationToken))
        {
            return (null, true);
        }

        // A live page keeps its view for as long as it is open: the applied manifests (often large) are read only when
        // asked for, and only the timeline's last lines are kept.
        var record = await db.RolloutRecords.AsNoTracking()
            .Where(r => r.RequestId == requestId)
            .Select(r => new RolloutRecord
            {
                RequestId = r.RequestId,
                Cluster = r.Cluster,
                Namespace = r.Namespace,
                AppliedManifests = r.AppliedManifests.Length > 0 ? "yes" : "",
                AppliedAt = r.AppliedAt,
                FinishedAt = r.FinishedAt,
                Timeline = r.Timeline,
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (record is not null && record.Timeline.Count > MaxTimelineLines)
        {
            record.Timeline = record.Timeline[^MaxTimelineLines..];
        }

        var canChange = await access.CanChangeAsync(user, request.TeamId, cancellationToken);
        return (new RolloutView(request.Id, request.Team, request.Service, request.Environment, request.State, request.Revision, request.RollbackOfRevision, record, request.ServiceId, canChange), false);
    }

    /// <summary>The manifests as applied (secret values redacted), for whoever may see the request.</summary>
    public async Task<string?> AppliedManifestsAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var teamId = await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => (int?)r.Service.TeamId).SingleOrDefaultAsync(cancellationToken);
        if (teamId is not { } team || !await access.CanSeeAsync(user, team, cancellationToken))
        {
            return null;
        }

        return await db.RolloutRecords.Where(r => r.RequestId == requestId).Select(r => r.AppliedManifests).SingleOrDefaultAsync(cancellationToken);
    }
}
