using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// Automatic rollbacks, approved by policy, to the last good revision:
/// in environments with <c>AutoRollback</c>, when a rollout fails (the failed request's timeline says which request
/// rolled it back); in environments with <c>AutoRollbackAfterRestarts</c>, as soon as a new pod has crash-looped that many
/// restarts, stopping the stuck rollout instead of waiting for its deadline.
/// </summary>
public sealed class AutoRollback(
    RolloutTracker tracker,
    RequestNotifier requests,
    RolloutNotifier rollouts,
    IServiceScopeFactory scopes,
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<EnvironmentCatalog> environments,
    ILogger<AutoRollback> logger) : IHostedService
{
    private readonly ConcurrentDictionary<int, IDisposable> watched = new();
    private IDisposable? observation;
    private IDisposable? requestSubscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        observation = tracker.WhenFinished(OnFinishedAsync);
        // Costs nothing unless an environment asks for it.
        if (environments.Value.Environments.Any(e => e.AutoRollbackAfterRestarts is not null))
        {
            requestSubscription = requests.Subscribe(RequestTopic.All, change => OnRequestChangedAsync(change.RequestId));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        observation?.Dispose();
        requestSubscription?.Dispose();
        foreach (var subscription in watched.Values)
        {
            subscription.Dispose();
        }

        watched.Clear();
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
        if (environments.Value.Find(failed.Environment) is not { AutoRollback: true } || failed.RollbackOfRevision is not null || failed.State != RequestState.Failed)
        {
            // A failed rollback is not rolled back again: that could loop. One already rolled back (now) is done.
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

    /// <summary>A request that starts rolling out in an environment with a restart limit gets its snapshots watched.</summary>
    private async Task OnRequestChangedAsync(int requestId)
    {
        if (watched.ContainsKey(requestId))
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var request = await db.DeploymentRequests.AsNoTracking()
            .Where(r => r.Id == requestId)
            .Select(r => new { r.ServiceId, r.Environment, r.State, r.RollbackOfRevision })
            .SingleOrDefaultAsync();
        if (request is not { State: RequestState.RollingOut, RollbackOfRevision: null }
            || environments.Value.Find(request.Environment)?.AutoRollbackAfterRestarts is not { } limit)
        {
            return;
        }

        var done = 0;
        var subscription = rollouts.Subscribe(requestId, snapshot =>
        {
            if (snapshot.IsFinal)
            {
                Forget(requestId);
                return Task.CompletedTask;
            }

            var restarts = snapshot.Pods.Where(p => p.IsNew).Select(p => p.Restarts).DefaultIfEmpty(0).Max();
            if (snapshot.Blocked != BlockingKind.CrashLoop || restarts < limit || Interlocked.Exchange(ref done, 1) == 1)
            {
                return Task.CompletedTask;
            }

            Forget(requestId);
            // Off the tracker's publish path: the rollback stops that very tracker.
            _ = Task.Run(() => RollBackAsync(requestId, request.ServiceId, request.Environment, restarts));
            return Task.CompletedTask;
        });
        if (!watched.TryAdd(requestId, subscription))
        {
            subscription.Dispose();
        }
    }

    private async Task RollBackAsync(int requestId, int serviceId, string environment, int restarts)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var outcome = await scope.ServiceProvider.GetRequiredService<RollbackNow>()
                .RollBackAsync(null, serviceId, environment, $"Automatic rollback: request #{requestId} crash-looped ({restarts} restarts).");
            if (!outcome.Succeeded)
            {
                logger.LogWarning("Automatic rollback of crash-looping request {RequestId} was not possible: {Message}", requestId, outcome.Message);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Automatic rollback of crash-looping request {RequestId} failed", requestId);
        }
    }

    private void Forget(int requestId)
    {
        if (watched.TryRemove(requestId, out var subscription))
        {
            subscription.Dispose();
        }
    }
}
