using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s;
using Portal.Cluster;

namespace Portal.Requests;

/// <summary>
/// The cluster's findings (dry-run diff and capacity) for one set of manifests, kept while the cluster's revision stays
/// the same. The findings depend only on the manifests and on what is stored in the cluster; a cluster whose revision
/// has not moved has had no write at all (no object, pod, node or quota changed), so asking again would get the same
/// answers. The review's findings are therefore reused at submit, and identical submits reuse them until anything in
/// the cluster changes. Callers asking the same question at the same revision share one computation. Answers that say
/// the cluster could not be asked are never kept.
/// </summary>
public sealed class FindingsCache
{
    private const int Capacity = 1_000;

    // Keys are keyed hashes of manifests that hold secret values: a per-process key, so a key reveals nothing.
    private readonly byte[] hashKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>How many times the cluster was asked in full (a miss); for tests.</summary>
    public int Computations => Volatile.Read(ref computations);

    private int computations;

    public static bool Keeps(ClusterFindings findings) => findings.Diff.Status != LiveDiffStatus.Unreachable && findings.Capacity?.Note?.StartsWith(CapacityFailure, StringComparison.Ordinal) != true;

    internal const string CapacityFailure = "The capacity could not be checked";

    /// <summary>The key of one question: the cluster, the environment's capacity mode and every manifest as sent.</summary>
    public string Key(string cluster, CapacityCheckMode mode, Manifests manifests)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, hashKey);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{cluster}\n{mode}\n"));
        foreach (var manifest in manifests.All())
        {
            hmac.AppendData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(manifest)));
            hmac.AppendData("\n"u8);
        }

        return Convert.ToHexString(hmac.GetHashAndReset());
    }

    /// <param name="revision">The cluster's revision read after the caller arrived; null: not known, ask in full.</param>
    public async Task<ClusterFindings> GetAsync(string key, string? revision, Func<Task<ClusterFindings>> ask, CancellationToken cancellationToken)
    {
        if (revision is null)
        {
            Interlocked.Increment(ref computations);
            return await ask();
        }

        while (true)
        {
            if (entries.TryGetValue(key, out var existing) && existing.Revision == revision)
            {
                return await WaitAsync(key, existing, cancellationToken);
            }

            var fresh = new Entry(revision, new Lazy<Task<ClusterFindings>>(() =>
            {
                Interlocked.Increment(ref computations);
                return ask();
            }));
            if (existing is null ? entries.TryAdd(key, fresh) : entries.TryUpdate(key, fresh, existing))
            {
                Prune();
                return await WaitAsync(key, fresh, cancellationToken);
            }
        }
    }

    private async Task<ClusterFindings> WaitAsync(string key, Entry entry, CancellationToken cancellationToken)
    {
        try
        {
            var findings = await entry.Findings.Value.WaitAsync(cancellationToken);
            if (!Keeps(findings))
            {
                entries.TryRemove(KeyValuePair.Create(key, entry));
            }

            return findings;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            entries.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
    }

    private void Prune()
    {
        if (entries.Count <= Capacity)
        {
            return;
        }

        // Rare (a thousand different questions): start over rather than keep an order of use.
        foreach (var (key, entry) in entries.ToList())
        {
            if (entry.Findings.IsValueCreated && entry.Findings.Value.IsCompleted)
            {
                entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }

    private sealed record Entry(string Revision, Lazy<Task<ClusterFindings>> Findings);
}
