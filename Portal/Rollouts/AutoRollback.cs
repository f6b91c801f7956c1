using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// In environments with <c>AutoRollback</c>, a failed rollout is followed at once by a rollback request to the last good
/// revision, approved by policy; the failed request's timeline says which request rolled it back.
/// </summary>
public sealed class AutoRollback(
    RolloutTracker tracker,
    IServiceScopeFactory scopes,
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<EnvironmentCatalog> environments,
    ILogger<AutoRollback> logger) : IHostedService
{
    private IDisposable? observation;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        observation = tracker.WhenFinished(OnFinishedAsync);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        observation?.Dispose();
        return Task.CompletedTask;
    }

    private async Task OnFinishedAsync(int requestId, RolloutPhase phase)
    {
        if (phase != RolloutPhase.Failed)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var failed = await db.DeploymentRequests.AsNoTracking().SingleAsync(r => r.Id == requestId);
        if (environments.Value.Find(failed.Environment) is not { AutoRollback: true } || failed.RollbackOfRevision is not null)
        {
            // A failed rollback is not rolled back again: that could loop.
            return;
        }

        var current = await RequestQueries.CurrentRevisionAsync(db, failed.ServiceId, failed.Environment);
        if (current is null)
        {
            logger.LogWarning("Request {RequestId} failed in {Environment}, which has no earlier good revision to roll back to", requestId, failed.Environment);
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var rollback = await scope.ServiceProvider.GetRequiredService<RequestService>()
            .RollbackAsync(null, failed.ServiceId, failed.Environment, current.Revision, $"Automatic rollback to revision {current.Revision}: request #{requestId} failed.");
        if (!rollback.Succeeded)
        {
            logger.LogWarning("Automatic rollback after request {RequestId} was not possible: {Message}", requestId, rollback.Message);
            return;
        }

        await scope.ServiceProvider.GetRequiredService<RequestLifecycle>()
            .MarkRolledBackAsync(requestId, RequestLifecycle.PolicyActor, $"Rolled back automatically by request #{rollback.Value!.Id} to revision {current.Revision}.");
    }
}
