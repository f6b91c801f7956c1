using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;

namespace Portal.Requests;

/// <summary>What the cluster says about a change: the dry-run diff against the live objects and whether the pods fit.</summary>
/// <param name="Capacity">Null when the environment does not check capacity or the cluster was not reached.</param>
public sealed record ClusterFindings(LiveDiffResult Diff, CapacityReport? Capacity, CapacityCheckMode Mode)
{
    /// <summary>New volumes whose StorageClass the cluster does not have (their claims would never bind).</summary>
    public IReadOnlyList<MissingStorageClass> MissingStorageClasses { get; init; } = [];

    /// <summary>Whether the submit must stop: the cluster refused the dry run, a new volume names a class it lacks, or the pods do not fit where that blocks.</summary>
    public bool Blocks => Diff.Status == LiveDiffStatus.Refused || MissingStorageClasses.Count > 0 || (Mode == CapacityCheckMode.Block && Capacity is { Fits: false });
}

/// <summary>
/// Builds a request's manifests exactly as the apply will (secret values from the vault or the form, in memory only)
/// and asks the cluster about them. The review step asks before every review and submit; the request page asks each time
/// an approver views it, so both see the cluster as it is at that moment, not as it was when the request was made.
/// </summary>
public sealed class LiveReview(
    IDbContextFactory<PortalDbContext> dbFactory,
    SecretVault vault,
    LiveDiff liveDiff,
    CapacityCheck capacity,
    StorageClassCheck storageClasses,
    IOptions<EnvironmentCatalog> environments,
    ClusterRevisions revisions,
    FindingsCache cache)
{
    /// <summary>For the form: new secret values come from the form, unchanged ones from the vault.</summary>
    public async Task<ClusterFindings> ForDraftAsync(RequestDraft draft, RequestForm form, RequestSpec spec, CancellationToken cancellationToken = default)
    {
        var typed = form.Secrets.Where(r => !r.Remove && r.NewValue is { Length: > 0 }).ToDictionary(r => r.Key, r => r.NewValue!, StringComparer.Ordinal);
        var values = await SecretValuesAsync(spec.Secrets.Where(s => !typed.ContainsKey(s.Key)), cancellationToken);
        foreach (var (key, value) in typed)
        {
            values[key] = value;
        }

        var input = new ManifestInput(0, draft.Service.Team.Name, draft.Service.Name, draft.Environment, spec, values);
        return await AskAsync(draft.Environment, input, cancellationToken);
    }

    /// <summary>For a stored request the caller may see; null when its environment is no longer configured.</summary>
    public async Task<ClusterFindings?> ForRequestAsync(RequestDetail detail, CancellationToken cancellationToken = default)
    {
        var environment = environments.Value.Find(detail.Request.Environment);
        if (environment is null)
        {
            return null;
        }

        var values = await SecretValuesAsync(detail.Request.Spec.Secrets, cancellationToken);
        var input = new ManifestInput(detail.Request.Id, detail.Team, detail.Service, environment, detail.Request.Spec, values);
        return await AskAsync(environment, input, cancellationToken);
    }

    /// <summary>
    /// Asks the cluster, or reuses what it answered for the same manifests while nothing in it has changed since (see
    /// <see cref="FindingsCache"/>). The request id is left out of the manifests asked about: it is only an annotation,
    /// which the diff ignores, so the review's answer serves the submit and the request page.
    /// </summary>
    private async Task<ClusterFindings> AskAsync(DeploymentEnvironment environment, ManifestInput input, CancellationToken cancellationToken)
    {
        var manifests = ManifestBuilder.Build(input with { RequestId = 0 });
        var key = cache.Key(environment.Cluster, environment.CapacityCheck, manifests);
        var revision = await revisions.CurrentAsync(environment.Cluster, manifests.Deployment.Metadata.NamespaceProperty, cancellationToken);
        // Shared by the callers asking the same at the same revision: one caller giving up does not cancel it (the dry
        // run has its own time limit).
        return await cache.GetAsync(key, revision, () => AskClusterAsync(environment, manifests, revision is null ? cancellationToken : CancellationToken.None), cancellationToken);
    }

    private async Task<ClusterFindings> AskClusterAsync(DeploymentEnvironment environment, Manifests manifests, CancellationToken cancellationToken)
    {
        var diff = await liveDiff.CompareAsync(environment.Cluster, manifests, cancellationToken);
        CapacityReport? report = null;
        if (diff.Status == LiveDiffStatus.Compared && environment.CapacityCheck != CapacityCheckMode.Off)
        {
            try
            {
                report = await capacity.CheckAsync(environment.Cluster, manifests, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                report = new CapacityReport("", [], $"{FindingsCache.CapacityFailure}: {Rollouts.ClusterApplier.Describe(e)}");
            }
        }

        IReadOnlyList<MissingStorageClass> missing = [];
        if (diff.Status == LiveDiffStatus.Compared)
        {
            try
            {
                missing = await storageClasses.CheckAsync(environment.Cluster, manifests, diff, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                // Not allowed to list classes, or gone meanwhile: the claim will tell (Pending) rather than the review.
            }
        }

        return new ClusterFindings(diff, report, environment.CapacityCheck) { MissingStorageClasses = missing };
    }

    private async Task<Dictionary<string, string>> SecretValuesAsync(IEnumerable<SecretRef> secrets, CancellationToken cancellationToken)
    {
        var wanted = secrets.ToList();
        if (wanted.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        var ids = wanted.Select(s => s.ValueId).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ciphertexts = await db.SecretValues.Where(v => ids.Contains(v.Id)).ToDictionaryAsync(v => v.Id, v => v.Ciphertext, cancellationToken);
        return wanted.Where(s => ciphertexts.ContainsKey(s.ValueId)).ToDictionary(s => s.Key, s => vault.Decrypt(ciphertexts[s.ValueId]), StringComparer.Ordinal);
    }
}
