using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// Applies approved requests, taking them from the database (the queue): one at a time per service and environment,
/// several pairs in parallel (so one unreachable cluster holds up only its own applies), through transient cluster
/// errors with back-off, then hands each to the <see cref="RolloutTracker"/>. After a restart
/// it re-applies what was being applied and resumes following what was rolling out. With several instances it runs on
/// the leader only (<see cref="Operations.Leadership"/>), and a new leader resumes the same way.
/// </summary>
public sealed class ApplyWorker(
    IServiceScopeFactory scopes,
    IDbContextFactory<PortalDbContext> dbFactory,
    RequestNotifier requests,
    RolloutNotifier rollouts,
    RolloutTracker tracker,
    ClusterApplier applier,
    SecretVault vault,
    IOptions<EnvironmentCatalog> environments,
    IOptions<RolloutsOptions> options,
    TimeProvider time,
    ILogger<ApplyWorker> logger) : BackgroundService
{
    public const string Actor = "apply-worker";

    private readonly SemaphoreSlim wake = new(0, 1);
    private readonly ConcurrentDictionary<(int ServiceId, string Environment), Task> running = new();

    /// <summary>Stops applying and following rollouts (shutdown, or another instance leads now); started again when leading.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await tracker.StopFollowingAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = requests.Subscribe(RequestTopic.All, change =>
        {
            // A request waiting for its approval is no work and frees none (the state is read after the change was saved).
            if (change.State is not (RequestState.Submitted or RequestState.AwaitingApproval))
            {
                Wake();
            }

            return Task.CompletedTask;
        });
        using var finished = tracker.WhenFinished((_, _) =>
        {
            Wake();
            return Task.CompletedTask;
        });

        try
        {
            await ResumeAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Resuming the work of the previous run failed; new work goes on");
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (running.Count < options.Value.MaxParallelApplies && await NextAsync(stoppingToken) is { } next)
                {
                    Start(next, resumed: false, stoppingToken);
                    continue;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "The apply worker failed; it goes on after the poll interval");
            }

            await WaitAsync(stoppingToken);
        }

        try
        {
            await Task.WhenAll(running.Values);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Applies one request in the background: new work (<paramref name="resumed"/> false) is first moved to Applying;
    /// a request found Applying after a restart is applied again. Whatever goes wrong ends the request Failed with the
    /// reason, so that its service and environment are never blocked by a request left Applying.
    /// </summary>
    private void Start((int Id, int ServiceId, string Environment) next, bool resumed, CancellationToken cancellationToken)
    {
        var key = (next.ServiceId, next.Environment);
        running[key] = Task.Run(async () =>
        {
            try
            {
                if (resumed)
                {
                    await ApplyAsync(next.Id, cancellationToken);
                }
                else
                {
                    await ProcessAsync(next.Id, cancellationToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(e, "Applying request {RequestId} failed unexpectedly", next.Id);
                await FailAsync(next.Id, e is InvalidOperationException ? e.Message : $"Applying failed unexpectedly ({e.GetType().Name}): {e.Message}");
            }
            finally
            {
                running.TryRemove(key, out _);
                Wake();
            }
        }, CancellationToken.None);
    }

    private async Task FailAsync(int id, string reason)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var failed = await scope.ServiceProvider.GetRequiredService<RequestLifecycle>().MarkFailedAsync(id, Actor, reason);
            if (failed.Succeeded)
            {
                await rollouts.PublishAsync(RolloutSnapshot.Waiting(id, reason, time.GetUtcNow()) with { Phase = RolloutPhase.Failed });
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Request {RequestId} could not be marked failed", id);
        }
    }

    private void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PollInterval);
        try
        {
            await wake.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rollingOut = await db.DeploymentRequests.Where(r => r.State == RequestState.RollingOut).Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var id in rollingOut)
        {
            logger.LogInformation("Resuming to follow the rollout of request {RequestId}", id);
            await tracker.TrackAsync(id);
        }

        var applying = await db.DeploymentRequests.Where(r => r.State == RequestState.Applying)
            .Select(r => new { r.Id, r.ServiceId, r.Environment }).ToListAsync(cancellationToken);
        foreach (var request in applying)
        {
            // Server-side apply is idempotent: applying again what may have been half applied is safe.
            logger.LogInformation("Applying request {RequestId} again after a restart", request.Id);
            Start((request.Id, request.ServiceId, request.Environment), resumed: true, cancellationToken);
        }
    }

    /// <summary>The oldest approved request whose service and environment has nothing being applied or rolling out.</summary>
    private async Task<(int Id, int ServiceId, string Environment)?> NextAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var candidates = await db.DeploymentRequests
            .Where(r => r.State == RequestState.Approved)
            .Where(r => !db.DeploymentRequests.Any(o => o.ServiceId == r.ServiceId && o.Environment == r.Environment && (o.State == RequestState.Applying || o.State == RequestState.RollingOut)))
            .OrderBy(r => r.Id)
            .Select(r => new { r.Id, r.ServiceId, r.Environment })
            .Take(100)
            .ToListAsync(cancellationToken);
        // A pair this worker has just started is not Applying in the database for a moment yet.
        var next = candidates.FirstOrDefault(c => !running.ContainsKey((c.ServiceId, c.Environment)));
        return next is null ? null : (next.Id, next.ServiceId, next.Environment);
    }

    private async Task ProcessAsync(int id, CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var started = await scope.ServiceProvider.GetRequiredService<RequestLifecycle>().StartApplyingAsync(id, Actor);
            if (!started.Succeeded)
            {
                logger.LogInformation("Request {RequestId} not applied: {Reason}", id, started.Message);
                return;
            }
        }

        await ApplyAsync(id, cancellationToken);
    }

    private async Task ApplyAsync(int id, CancellationToken cancellationToken)
    {
        using var requestScope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = id });
        var (manifests, cluster) = await PrepareAsync(id, cancellationToken);
        // The watches are open before the apply, so the tracker sees the first states it causes.
        using var rollout = await tracker.PrepareAsync(id, cluster, manifests.Deployment.Metadata.NamespaceProperty, manifests.Deployment.Metadata.Name, cancellationToken);
        var maxAttempts = options.Value.MaxApplyAttempts;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Operations.PortalMetrics.ApplyAttempted();
                // The rollout starts with the Deployment's apply: the tracker judges from then on, not after the rest.
                var appliedAt = time.GetUtcNow();
                var generation = await applier.ApplyAsync(cluster, manifests, cancellationToken, applied =>
                {
                    appliedAt = time.GetUtcNow();
                    rollout.Applied(applied, appliedAt);
                });
                await RecordAppliedAsync(id, attempt, generation, appliedAt, cancellationToken);
                break;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && ClusterApplier.IsTransient(e) && attempt < maxAttempts)
            {
                Operations.PortalMetrics.ApplyFailed(transient: true);
                var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt - 1)));
                var why = ClusterApplier.Describe(e);
                logger.LogWarning("Applying request {RequestId} failed (attempt {Attempt} of {Max}): {Error}; retrying in {Delay}", id, attempt, maxAttempts, why, delay);
                await RecordErrorAsync(id, attempt, why, cancellationToken);
                await rollouts.PublishAsync(RolloutSnapshot.Waiting(id, $"Retrying in {delay.TotalSeconds:0} s (attempt {attempt} of {maxAttempts} failed: {why})", time.GetUtcNow()));
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Operations.PortalMetrics.ApplyFailed(ClusterApplier.IsTransient(e));
                var why = ClusterApplier.Describe(e);
                var reason = ClusterApplier.IsTransient(e) ? $"The cluster could not be reached after {attempt} attempts: {why}" : $"The cluster refused the change: {why}";
                logger.LogWarning("Applying request {RequestId} failed: {Reason}", id, reason);
                await RecordErrorAsync(id, attempt, why, cancellationToken);
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<RequestLifecycle>().MarkFailedAsync(id, Actor, reason);
                await rollouts.PublishAsync(RolloutSnapshot.Waiting(id, reason, time.GetUtcNow()) with { Phase = RolloutPhase.Failed });
                return;
            }
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<RequestLifecycle>().MarkRollingOutAsync(id, Actor);
        }

        rollout.Recorded();
    }

    private async Task<(Manifests Manifests, string Cluster)> PrepareAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await db.DeploymentRequests.Include(r => r.Service).ThenInclude(s => s.Team).SingleAsync(r => r.Id == id, cancellationToken);
        var environment = environments.Value.Find(request.Environment)
            ?? throw new InvalidOperationException($"Request {id} names environment '{request.Environment}', which is no longer configured.");
        var valueIds = request.Spec.Secrets.Select(s => s.ValueId).ToList();
        var ciphertexts = await db.SecretValues.Where(v => valueIds.Contains(v.Id)).ToDictionaryAsync(v => v.Id, v => v.Ciphertext, cancellationToken);
        var secrets = request.Spec.Secrets.ToDictionary(s => s.Key, s => vault.Decrypt(ciphertexts[s.ValueId]));
        var manifests = ManifestBuilder.Build(new ManifestInput(id, request.Service.Team.Name, request.Service.Name, environment, request.Spec, secrets));

        var record = await db.RolloutRecords.SingleOrDefaultAsync(r => r.RequestId == id, cancellationToken);
        if (record is null)
        {
            record = new RolloutRecord { RequestId = id, Cluster = environment.Cluster, Namespace = environment.NamespaceFor(request.Service.Team.Name) };
            db.RolloutRecords.Add(record);
        }

        record.AppliedManifests = ManifestBuilder.ToYaml(manifests);
        await db.SaveChangesAsync(cancellationToken);
        await rollouts.PublishAsync(RolloutSnapshot.Waiting(id, $"Applying to {record.Namespace}...", time.GetUtcNow()));
        return (manifests, environment.Cluster);
    }

    private async Task RecordAppliedAsync(int id, int attempts, long? generation, DateTimeOffset appliedAt, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.RolloutRecords.SingleAsync(r => r.RequestId == id, cancellationToken);
        record.ApplyAttempts = attempts;
        record.AppliedGeneration = generation;
        record.AppliedAt = appliedAt;
        record.Timeline = [.. record.Timeline, new TimelineEntry(record.AppliedAt.Value, attempts == 1 ? "Applied" : $"Applied after {attempts} attempts")];
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task RecordErrorAsync(int id, int attempts, string error, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.RolloutRecords.SingleAsync(r => r.RequestId == id, cancellationToken);
        record.ApplyAttempts = attempts;
        record.LastError = error.Length > 2000 ? error[..2000] : error;
        record.Timeline = [.. record.Timeline, new TimelineEntry(time.GetUtcNow(), $"Apply attempt {attempts} failed: {record.LastError}")];
        await db.SaveChangesAsync(cancellationToken);
    }
}
