using System.Globalization;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Portal.Cluster;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>The request whose manifests are in the cluster now, as far as the portal knows.</summary>
public sealed record AppliedRevision(int RequestId, int? Revision, RequestState State, RequestSpec Spec)
{
    public bool IsRollingOut => State is RequestState.Applying or RequestState.RollingOut;

    /// <summary>How drift lines name it: "revision 3", or "request #7" for one that never became a revision.</summary>
    public string Name => Revision is { } revision ? $"revision {revision}" : $"request #{RequestId}";
}

/// <summary>One environment of a service as the database has it: the current revision and what is applied now.</summary>
public sealed record EnvironmentRevisions(CurrentRevision? Current, AppliedRevision? Applied);

public sealed record AutoscalerState(int MinReplicas, int MaxReplicas, int CurrentReplicas, int DesiredReplicas);

/// <summary>One service's Deployment (and HPA) as the cluster has it now.</summary>
public sealed record LiveDeployment(
    string? Image,
    int? SpecReplicas,
    int Replicas,
    int Updated,
    int Ready,
    int Available,
    string? Revision,
    bool? IsAvailable,
    string? AvailableMessage,
    IReadOnlyDictionary<string, string> Requests,
    IReadOnlyDictionary<string, string> Limits,
    AutoscalerState? Autoscaler,
    RolloutPhase Phase = RolloutPhase.Succeeded,
    string PhaseMessage = "")
{
    public int Desired => SpecReplicas ?? Replicas;
}

/// <summary>
/// Live state of a service per environment from the shared Deployment and HPA watches of its namespace, and how it
/// differs from what the portal last applied (drift: someone used kubectl).
/// </summary>
public sealed class EnvironmentStatus(ClusterWatches watches, IDbContextFactory<PortalDbContext> dbFactory)
{
    /// <summary>
    /// For every environment of one service, in one query: its current revision (the last that succeeded) and the request
    /// whose manifests are in the cluster now.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, EnvironmentRevisions>> RevisionsAsync(int serviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var requests = db.DeploymentRequests.Where(r => r.ServiceId == serviceId);
        var rows = await requests.AsNoTracking()
            .Where(r => r.Id == requests.Where(o => o.Environment == r.Environment && o.Revision != null).OrderByDescending(o => o.Revision).Select(o => (int?)o.Id).FirstOrDefault()
                || r.Id == requests.Where(o => o.Environment == r.Environment && (o.State == RequestState.Applying || o.State == RequestState.RollingOut || o.State == RequestState.Succeeded || o.State == RequestState.Failed || o.State == RequestState.RolledBack)).Max(o => (int?)o.Id))
            .Select(r => new { r.Id, r.Environment, r.Revision, r.State, r.Spec })
            .ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.Environment).ToDictionary(
            g => g.Key,
            g =>
            {
                var current = g.Where(r => r.Revision is not null).MaxBy(r => r.Revision);
                var applied = g.Where(r => r.State is RequestState.Applying or RequestState.RollingOut or RequestState.Succeeded or RequestState.Failed or RequestState.RolledBack).MaxBy(r => r.Id);
                return new EnvironmentRevisions(
                    current is null ? null : new CurrentRevision(current.Id, current.Revision!.Value, current.Spec),
                    applied is null ? null : new AppliedRevision(applied.Id, applied.Revision, applied.State, applied.Spec));
            });
    }

    /// <summary>Starts following one service in one environment; dispose the result to give the watches back.</summary>
    public LiveEnvironment Follow(DeploymentEnvironment environment, string team, string service)
    {
        var ns = environment.NamespaceFor(team);
        var deployments = watches.Acquire(environment.Cluster, ns, WatchedKind.Deployments);
        try
        {
            return new LiveEnvironment(deployments, watches.Acquire(environment.Cluster, ns, WatchedKind.Autoscalers), service);
        }
        catch
        {
            deployments.Dispose();
            throw;
        }
    }

    /// <summary>What the cluster has that <paramref name="applied"/> does not say, one plain line per difference.</summary>
    public static IReadOnlyList<string> Drift(LiveDeployment? live, AppliedRevision applied)
    {
        var says = applied.Name + " says";
        if (live is null)
        {
            return [$"the Deployment is missing from the cluster, {says} it should run"];
        }

        var spec = applied.Spec;
        var lines = new List<string>();
        if (live.Image != spec.Image)
        {
            lines.Add($"image is {live.Image ?? "(none)"} in the cluster, {says} {spec.Image}");
        }

        if (spec.Autoscaling is { } autoscaling)
        {
            if (live.Autoscaler is not { } hpa)
            {
                lines.Add($"no HorizontalPodAutoscaler in the cluster, {says} autoscale {autoscaling.MinReplicas}–{autoscaling.MaxReplicas}");
            }
            else if (hpa.MinReplicas != autoscaling.MinReplicas || hpa.MaxReplicas != autoscaling.MaxReplicas)
            {
                lines.Add($"autoscaling is {hpa.MinReplicas}–{hpa.MaxReplicas} in the cluster, {says} {autoscaling.MinReplicas}–{autoscaling.MaxReplicas}");
            }
        }
        else
        {
            if (spec.Replicas is { } replicas && live.SpecReplicas != replicas)
            {
                lines.Add($"replicas are {live.SpecReplicas?.ToString(CultureInfo.InvariantCulture) ?? "unset"} in the cluster, {says} {replicas}");
            }

            if (live.Autoscaler is { } hpa)
            {
                lines.Add($"a HorizontalPodAutoscaler ({hpa.MinReplicas}–{hpa.MaxReplicas}) is in the cluster, {says} no autoscaling");
            }
        }

        Compare(lines, "cpu request", live.Requests.GetValueOrDefault("cpu"), spec.Resources.CpuRequest, says);
        Compare(lines, "cpu limit", live.Limits.GetValueOrDefault("cpu"), spec.Resources.CpuLimit, says);
        Compare(lines, "memory request", live.Requests.GetValueOrDefault("memory"), spec.Resources.MemoryRequest, says);
        Compare(lines, "memory limit", live.Limits.GetValueOrDefault("memory"), spec.Resources.MemoryLimit, says);
        return lines;
    }

    private static void Compare(List<string> lines, string what, string? live, string wanted, string says)
    {
        // 0.5 and 500m are the same quantity: compare values, not spellings.
        var same = live == wanted || (Quantity.TryParse(live, out var a) && Quantity.TryParse(wanted, out var b) && a == b);
        if (!same)
        {
            lines.Add($"{what} is {live ?? "unset"} in the cluster, {says} {wanted}");
        }
    }
}

/// <summary>A follow of one service in one environment: two shared watch leases, released on dispose.</summary>
public sealed class LiveEnvironment(WatchLease deployments, WatchLease autoscalers, string service) : IDisposable
{
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    /// <summary>Completes once both watches have listed what is there.</summary>
    public Task Synced => Task.WhenAll(deployments.Watch.Synced, autoscalers.Watch.Synced);

    public bool IsSynced => Synced.IsCompletedSuccessfully;

    /// <summary>Calls <paramref name="changed"/> (on the watch's thread) when a Deployment or HPA in the namespace changes.</summary>
    public IDisposable Listen(Action changed) => new DisposedTogether(deployments.Watch.Listen(changed), autoscalers.Watch.Listen(changed));

    public LiveDeployment? Read()
    {
        var deployment = deployments.Watch.Get<V1Deployment>(service);
        if (deployment is null)
        {
            return null;
        }

        var hpa = autoscalers.Watch.Get<V2HorizontalPodAutoscaler>(service);
        var containers = deployment.Spec?.Template?.Spec?.Containers ?? [];
        var container = containers.FirstOrDefault(c => c.Name == service) ?? containers.FirstOrDefault();
        var status = deployment.Status ?? new V1DeploymentStatus();
        var available = status.Conditions?.FirstOrDefault(c => c.Type == "Available");
        var (phase, message) = RolloutVerdict.Judge(deployment, null);
        return new LiveDeployment(
            container?.Image,
            deployment.Spec?.Replicas,
            status.Replicas ?? 0,
            status.UpdatedReplicas ?? 0,
            status.ReadyReplicas ?? 0,
            status.AvailableReplicas ?? 0,
            deployment.Metadata.Annotations is { } annotations && annotations.TryGetValue(RevisionAnnotation, out var revision) ? revision : null,
            available is null ? null : available.Status == "True",
            available?.Message,
            Quantities(container?.Resources?.Requests),
            Quantities(container?.Resources?.Limits),
            hpa is null ? null : new AutoscalerState(
                hpa.Spec?.MinReplicas ?? 1,
                hpa.Spec?.MaxReplicas ?? 0,
                hpa.Status?.CurrentReplicas ?? 0,
                hpa.Status?.DesiredReplicas ?? 0),
            phase,
            message);
    }

    public void Dispose()
    {
        deployments.Dispose();
        autoscalers.Dispose();
    }

    private static Dictionary<string, string> Quantities(IDictionary<string, ResourceQuantity>? quantities) =>
        quantities?.ToDictionary(q => q.Key, q => q.Value.ToString()) ?? [];
}
