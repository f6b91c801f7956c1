using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Catalog;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;
using Portal.Rollouts;

namespace Portal.Demo;

/// <summary>
/// Demo mode's living system: on a fresh database, a short history played through the portal's own request path (the
/// catalog, <see cref="RequestService"/>, <see cref="RequestLifecycle"/>, the apply worker and the cluster), so that what
/// the cluster runs matches the history shown. Within a minute of start: six services (one a worker, one with a volume) with a few revisions in staging
/// and production, a failed rollout (a crash-looping tag, rolled back), a rollout still in progress (a slow start) and a
/// request waiting for bob. Runs in the background, so the portal serves at once.
/// </summary>
public sealed class DemoActivity(
    IServiceScopeFactory scopes,
    IDbContextFactory<PortalDbContext> dbFactory,
    RequestNotifier requestNotifier,
    RolloutNotifier rolloutNotifier,
    ILogger<DemoActivity> logger) : BackgroundService
{
    /// <summary>The services of the demo story beyond the two <see cref="DemoData"/> seeds: (team, name, repository, port, registered by).</summary>
    public static readonly IReadOnlyList<(string Team, string Name, ServiceKind Kind, string Repository, int Port, string By, string Description)> ExtraServices =
    [
        ("payments", "payments-ledger", ServiceKind.Web, "registry.example.com/payments/ledger", 8080, "alice", "Double-entry ledger of settled payments"),
        ("payments", "fraud-scoring", ServiceKind.Web, "registry.example.com/payments/fraud-scoring", 8080, "alice", "Scores card payments for fraud risk"),
        ("payments", "settlement-worker", ServiceKind.Worker, "registry.example.com/payments/settlement-worker", 0, "alice", "Settles the day's card payments in batches (a worker: no port, no Service)"),
        ("search", "query-api", ServiceKind.Web, "registry.example.com/search/query-api", 8080, "dave", "Answers product search queries"),
    ];

    /// <summary>The ledger keeps its journal on a persistent volume: one replica, replaced by Recreate (ReadWriteOnce).</summary>
    public const string LedgerVolume = "journal";

    /// <summary>The request of the story that crash-loops; its tag is served by the demo registry and crashes in the Sandbox.</summary>
    public const string CrashTag = "v1.5.0-crash";

    /// <summary>Readiness delay of the rollout left in progress: each of its three pods takes this long to become ready.</summary>
    public const int SlowStartSeconds = 60;

    /// <summary>Done (or skipped) once the story has been played; for tests.</summary>
    public Task Completion => completion.Task;

    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await using (var db = await dbFactory.CreateDbContextAsync(stoppingToken))
            {
                if (await db.DeploymentRequests.AnyAsync(stoppingToken))
                {
                    logger.LogDebug("Demo activity skipped: the database already holds requests");
                    return;
                }
            }

            logger.LogInformation("Demo activity: deploying the demo services through the request path");
            await using var scope = scopes.CreateAsyncScope();
            var story = new Story(this, scope.ServiceProvider, stoppingToken);
            await story.PlayAsync();
            logger.LogInformation("Demo activity: done");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped with the app.
        }
        catch (Exception e)
        {
            // The demo is a nicety: the portal keeps serving whatever it reached.
            logger.LogWarning(e, "Demo activity stopped early");
        }
        finally
        {
            completion.TrySetResult();
        }
    }

    private sealed class Story(DemoActivity owner, IServiceProvider services, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, ClaimsPrincipal> principals = [];

        public async Task PlayAsync()
        {
            foreach (var name in new[] { "alice", "bob", "carol", "dave" })
            {
                principals[name] = await PrincipalAsync(name);
            }

            await RegisterServicesAsync();

            // Each (service, environment) is a chain of revisions, one after another; the chains run side by side.
            await Task.WhenAll(
                ChainAsync("payments", "payments-api", "staging", "alice", null, [Step("v1.3.0"), Step("v1.4.0"), Step("v1.4.2")], CrashAndRollBackAsync),
                ChainAsync("payments", "payments-api", "production", "alice", "bob", [Step("v1.3.0"), Step("v1.4.0")], LeaveForBobAsync),
                ChainAsync("payments", "payments-ledger", "staging", "alice", null, [LedgerStep("v1.2.0"), LedgerStep("v1.3.0")]),
                ChainAsync("payments", "payments-ledger", "production", "alice", "bob", [LedgerStep("v1.2.0"), LedgerStep("v1.3.0")]),
                ChainAsync("payments", "settlement-worker", "staging", "alice", null, [Step("v0.9.0"), Step("v1.0.0")]),
                ChainAsync("payments", "settlement-worker", "production", "alice", "bob", [Step("v1.0.0")]),
                ChainAsync("payments", "fraud-scoring", "staging", "alice", null, [Step("v1.3.0"), Step("v1.3.1")]),
                ChainAsync("payments", "fraud-scoring", "production", "alice", "bob", [Step("v1.3.0")]),
                ChainAsync("search", "search-indexer", "staging", "dave", null, [Step("v1.3.0"), Step("v1.3.1")], SlowStartAsync),
                ChainAsync("search", "search-indexer", "production", "dave", "carol", [Step("v1.3.0"), Step("v1.3.1")]),
                ChainAsync("search", "query-api", "staging", "dave", null, [Step("v1.2.1"), Step("v1.3.0")]),
                ChainAsync("search", "query-api", "production", "dave", "carol", [Step("v1.2.1")]));
        }

        private static Action<RequestForm> Step(string tag) => form =>
        {
            form.ImageTag = tag;
            form.Comment = $"Release {tag}";
            // Quick readiness, so the demo's history plays within a minute.
            form.ReadinessInitialDelaySeconds = 1;
            if (form.EnvVars.Count == 0)
            {
                form.EnvVars.Add(new EnvVarRow { Name = "LOG_LEVEL", Value = "info" });
            }
        };

        /// <summary>A ledger release: its journal volume, one replica and the Recreate strategy the volume needs.</summary>
        private static Action<RequestForm> LedgerStep(string tag) => form =>
        {
            Step(tag)(form);
            form.Replicas = 1;
            form.Strategy = RolloutStrategyKind.Recreate;
            if (form.Volumes.Count == 0)
            {
                form.Volumes.Add(new VolumeRow { Name = LedgerVolume, Size = "2Gi", MountPath = "/var/lib/ledger", AccessMode = VolumeAccessMode.ReadWriteOnce });
            }
        };

        private async Task RegisterServicesAsync()
        {
            var catalog = services.GetRequiredService<ServiceCatalog>();
            foreach (var (team, name, kind, repository, port, by, description) in ExtraServices)
            {
                if (await catalog.FindAsync(team, name, cancellationToken) is not null)
                {
                    continue;
                }

                var outcome = await catalog.RegisterAsync(principals[by], new ServiceForm
                {
                    Team = team,
                    Name = name,
                    ImageRepository = repository,
                    Kind = kind,
                    ContainerPort = port,
                    Description = description,
                    Contacts = "#" + team,
                });
                Require(outcome.Succeeded, $"registering {team}/{name}: {outcome.Message}");
            }
        }

        private async Task ChainAsync(string team, string service, string environment, string requester, string? approver, Action<RequestForm>[] steps, Func<string, string, string, Task>? then = null)
        {
            foreach (var step in steps)
            {
                var request = await SubmitAsync(team, service, environment, requester, step);
                if (approver is not null && request.State == RequestState.AwaitingApproval)
                {
                    var approved = await services.GetRequiredService<RequestLifecycle>().ApproveAsync(principals[approver], request.Id, "Checked in staging.");
                    Require(approved.Succeeded, $"approving #{request.Id}: {approved.Message}");
                }

                var state = await owner.WaitForAsync(request.Id, s => s is RequestState.Succeeded or RequestState.Failed or RequestState.RolledBack or RequestState.Rejected or RequestState.Cancelled or RequestState.Superseded or RequestState.Expired, cancellationToken);
                Require(state == RequestState.Succeeded, $"request #{request.Id} ({service} {environment}) ended {state}");
            }

            if (then is not null)
            {
                await then(team, service, environment);
            }
        }

        /// <summary>A release that crash-loops in staging; alice sees it and rolls back at once (the failed rollout of the story).</summary>
        private async Task CrashAndRollBackAsync(string team, string service, string environment)
        {
            var request = await SubmitAsync(team, service, environment, "alice", form =>
            {
                form.ImageTag = CrashTag;
                form.Comment = "New settlement batching";
            });
            await owner.WaitForCrashLoopAsync(request.Id, cancellationToken);
            var outcome = await services.GetRequiredService<RollbackNow>().RollBackAsync(principals["alice"], request.ServiceId, environment, $"{CrashTag} crash-loops at start-up: back to the last good revision.");
            Require(outcome.Succeeded, $"rolling back #{request.Id}: {outcome.Message}");
        }

        /// <summary>The request waiting for bob, the payments team's approver.</summary>
        private async Task LeaveForBobAsync(string team, string service, string environment)
        {
            var request = await SubmitAsync(team, service, environment, "alice", form =>
            {
                form.ImageTag = "v1.4.2";
                form.Comment = "Release v1.4.2: fixes the retry storm on card declines. Ran in staging since this morning.";
            });
            Require(request.State == RequestState.AwaitingApproval, $"request #{request.Id} is {request.State}, not waiting for an approval");
        }

        /// <summary>The rollout left in progress: a release whose pods take a minute each to become ready.</summary>
        private async Task SlowStartAsync(string team, string service, string environment)
        {
            await SubmitAsync(team, service, environment, "dave", form =>
            {
                form.ImageTag = "v1.4.0";
                form.Replicas = 3;
                form.ReadinessInitialDelaySeconds = SlowStartSeconds;
                form.Comment = "Release v1.4.0: the new index warms its caches before it serves.";
            });
        }

        private async Task<DeploymentRequest> SubmitAsync(string team, string service, string environment, string user, Action<RequestForm> change)
        {
            var requests = services.GetRequiredService<RequestService>();
            var draft = await requests.DraftAsync(principals[user], team, service, environment);
            Require(draft.Succeeded, $"drafting {team}/{service} in {environment}: {draft.Message}");
            change(draft.Value!.Form);
            var outcome = await requests.SubmitAsync(principals[user], draft.Value, draft.Value.Form, cancellationToken);
            Require(outcome.Succeeded, $"submitting {team}/{service} in {environment}: {outcome.Message} {string.Join("; ", outcome.FieldErrors.SelectMany(e => e.Value))}");
            return outcome.Value!;
        }

        private async Task<ClaimsPrincipal> PrincipalAsync(string userName)
        {
            var users = services.GetRequiredService<UserManager<PortalUser>>();
            var signIn = services.GetRequiredService<SignInManager<PortalUser>>();
            var user = await users.FindByNameAsync(userName) ?? throw new InvalidOperationException($"The demo user {userName} is missing.");
            return await signIn.CreateUserPrincipalAsync(user);
        }

        private static void Require(bool condition, string what)
        {
            if (!condition)
            {
                throw new InvalidOperationException("Demo activity: " + what);
            }
        }
    }

    /// <summary>Waits, woken by the request notifier, until the request's state satisfies <paramref name="done"/>.</summary>
    private async Task<RequestState> WaitForAsync(int requestId, Func<RequestState, bool> done, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource<RequestState>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = requestNotifier.Subscribe(RequestTopic.Request(requestId), change =>
        {
            if (done(change.State))
            {
                reached.TrySetResult(change.State);
            }

            return Task.CompletedTask;
        });
        // Read after subscribing, so a change between the two is not missed.
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var state = await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => r.State).SingleAsync(cancellationToken);
            if (done(state))
            {
                return state;
            }
        }

        return await reached.Task.WaitAsync(cancellationToken);
    }

    // The kubelet's CrashLoopBackOff on a new pod: the explanation the failed rollout keeps.
    private static bool ShowsCrashLoop(RolloutSnapshot snapshot) =>
        snapshot.IsFinal || (snapshot.Blocked == BlockingKind.CrashLoop && snapshot.Pods.Any(p => p.IsNew && p.Reason == "CrashLoopBackOff"));

    /// <summary>Waits until the request's rollout shows a new pod crash-looping, as the rollout page would show it.</summary>
    private async Task WaitForCrashLoopAsync(int requestId, CancellationToken cancellationToken)
    {
        var crashing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = rolloutNotifier.Subscribe(requestId, snapshot =>
        {
            if (ShowsCrashLoop(snapshot))
            {
                crashing.TrySetResult();
            }

            return Task.CompletedTask;
        });
        if (rolloutNotifier.Latest(requestId) is { } latest && ShowsCrashLoop(latest))
        {
            return;
        }

        await crashing.Task.WaitAsync(cancellationToken);
    }
}
