using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// "Roll back now": a rollback request to the last good revision, under the usual approval rules. When it is approved
/// at once, a rollout that is still stuck is stopped (Failed, then RolledBack) so the rollback is applied next instead of
/// waiting for the progress deadline; a failed request is marked RolledBack.
/// </summary>
public sealed class RollbackNow(
    RequestService requests,
    RequestLifecycle lifecycle,
    RolloutTracker tracker,
    IDbContextFactory<PortalDbContext> dbFactory,
    ILogger<RollbackNow> logger)
{
    /// <param name="user">Null for an automatic rollback.</param>
    public async Task<Outcome<DeploymentRequest>> RollBackAsync(ClaimsPrincipal? user, int serviceId, string environment, string? comment = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var current = await RequestQueries.CurrentRevisionAsync(db, serviceId, environment);
        if (current is null)
        {
            return Outcome<DeploymentRequest>.Conflict($"There is no earlier good revision in {environment} to roll back to.");
        }

        var last = await db.DeploymentRequests.AsNoTracking()
            .Where(r => r.ServiceId == serviceId && r.Environment == environment)
            .Where(r => r.State == RequestState.Applying || r.State == RequestState.RollingOut || r.State == RequestState.Failed)
            .OrderByDescending(r => r.Id)
            .Select(r => new { r.Id, r.State })
            .FirstOrDefaultAsync();
        var outcome = await requests.RollbackAsync(user, serviceId, environment, current.Revision, comment);
        if (!outcome.Succeeded || last is null || outcome.Value!.State != RequestState.Approved)
        {
            return outcome;
        }

        var rollback = outcome.Value;
        var actor = user?.Identity?.Name ?? RequestLifecycle.PolicyActor;
        if (last.State is RequestState.Applying or RequestState.RollingOut)
        {
            var why = $"stopped and rolled back by request #{rollback.Id} to revision {current.Revision}";
            await tracker.StopAsync(last.Id, why);
            var failed = await lifecycle.MarkFailedAsync(last.Id, actor, $"Stopped: rolled back now by request #{rollback.Id}.");
            if (!failed.Succeeded)
            {
                logger.LogInformation("Request {RequestId} ended on its own before it could be stopped: {Message}", last.Id, failed.Message);
            }
        }

        await lifecycle.MarkRolledBackAsync(last.Id, actor, $"Rolled back by request #{rollback.Id} to revision {current.Revision}.");
        return outcome;
    }
}
