using System.ComponentModel.DataAnnotations;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Cluster;

namespace Portal.Operations;

/// <summary>
/// <c>Leadership:*</c>: several instances elect the one that applies requests through a coordination.k8s.io/v1 Lease
/// in the portal's own namespace. Off (the embedded default), the one instance always leads and no Lease exists.
/// </summary>
public sealed class LeadershipOptions
{
    public const string Section = "Leadership";

    public bool Enabled { get; set; }

    /// <summary>The portal's own namespace, which holds the Lease.</summary>
    [Required(ErrorMessage = "Leadership:Namespace must name the portal's namespace.")]
    public string Namespace { get; set; } = "selfservice";

    [Required(ErrorMessage = "Leadership:LeaseName must name the Lease.")]
    public string LeaseName { get; set; } = "selfservice-portal";

    /// <summary>The configured cluster (<c>Clusters:NAME</c>) that holds the Lease: the one the portal runs in.</summary>
    [Required(ErrorMessage = "Leadership:Cluster must name a configured cluster.")]
    public string Cluster { get; set; } = ClusterOptions.DefaultName;

    /// <summary>This instance's name in the Lease; by default the host name (the pod's name) and a random suffix.</summary>
    public string? Identity { get; set; }

    /// <summary>How long the others wait after the leader's last renewal before taking over.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it gives up leading.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a candidate tries to take the Lease, and the leader renews it.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Work that only the leader does (applying requests, following their rollouts, automatic rollbacks).</summary>
public sealed class LeaderOnlyWork(IHostedService service)
{
    public IHostedService Service => service;
}

public static class LeadershipExtensions
{
    /// <summary>Registers <typeparamref name="T"/> to run while this instance leads, and the election that decides it.</summary>
    public static IServiceCollection AddLeaderOnly<T>(this IServiceCollection services)
        where T : class, IHostedService
    {
        services.AddSingleton<T>();
        services.AddSingleton(provider => new LeaderOnlyWork(provider.GetRequiredService<T>()));
        if (!services.Any(s => s.ServiceType == typeof(Leadership)))
        {
            services.AddOptions<LeadershipOptions>()
                .BindConfiguration(LeadershipOptions.Section)
                .ValidateDataAnnotations()
                .Validate(o => o.RetryPeriod > TimeSpan.Zero && o.RetryPeriod < o.RenewDeadline && o.RenewDeadline < o.LeaseDuration,
                    "Leadership: RetryPeriod must be above 0 and below RenewDeadline, which must be below LeaseDuration.")
                .ValidateOnStart();
            services.AddSingleton<Leadership>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Leadership>(provider => provider.GetRequiredService<Leadership>()));
        }

        return services;
    }
}

/// <summary>
/// Runs the <see cref="LeaderOnlyWork"/> while this instance leads: always, without <c>Leadership:Enabled</c>; else
/// while it holds the Lease (KubernetesClient's <see cref="LeaderElector"/>). An instance that loses the Lease stops the
/// work before it could be taken over, and stands for election again. <see cref="PortalGauges.IsLeader"/> says which.
/// </summary>
public sealed class Leadership(
    IEnumerable<LeaderOnlyWork> work,
    ClusterConnections connections,
    PortalGauges gauges,
    IOptions<LeadershipOptions> options,
    TimeProvider time,
    ILogger<Leadership> logger) : BackgroundService
{
    private readonly SemaphoreSlim switching = new(1, 1);
    private bool working;

    public bool IsLeader => gauges.IsLeader;

    public string Identity { get; } = options.Value.Identity is { Length: > 0 } identity ? identity : $"{Environment.MachineName}-{Guid.NewGuid().ToString("n")[..8]}";

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await StopWorkAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            await StartWorkAsync();
            return;
        }

        gauges.IsLeader = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var client = await connections.ConnectAsync(settings.Cluster);
                var leaseLock = new LeaseLock(client, settings.Namespace, settings.LeaseName, Identity);
                using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
                {
                    LeaseDuration = settings.LeaseDuration,
                    RenewDeadline = settings.RenewDeadline,
                    RetryPeriod = settings.RetryPeriod,
                });
                elector.OnStartedLeading += () => _ = StartWorkAsync();
                elector.OnNewLeader += leader => logger.LogInformation("The leader is {Leader}", leader);
                elector.OnError += e => logger.LogWarning("Leader election on Lease {Namespace}/{Lease}: {Error}", settings.Namespace, settings.LeaseName, e.Message);
                await elector.RunUntilLeadershipLostAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Leader election failed: {Error}; trying again", e.Message);
            }
            finally
            {
                await StopWorkAsync();
            }

            await Task.Delay(settings.RetryPeriod, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task StartWorkAsync()
    {
        await switching.WaitAsync();
        try
        {
            if (working)
            {
                return;
            }

            logger.LogInformation("{Identity} leads: it applies requests from now on", Identity);
            working = true;
            gauges.IsLeader = true;
            foreach (var part in work)
            {
                await part.Service.StartAsync(CancellationToken.None);
            }
        }
        finally
        {
            switching.Release();
        }
    }

    private async Task StopWorkAsync()
    {
        await switching.WaitAsync();
        try
        {
            if (!working)
            {
                return;
            }

            logger.LogInformation("{Identity} no longer leads: it stops applying", Identity);
            gauges.IsLeader = false;
            working = false;
            foreach (var part in work.Reverse())
            {
                try
                {
                    await part.Service.StopAsync(CancellationToken.None);
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Stopping {Work} failed", part.Service.GetType().Name);
                }
            }
        }
        finally
        {
            switching.Release();
        }
    }
}
