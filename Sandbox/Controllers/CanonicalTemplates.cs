using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Sandbox.Controllers;

/// <summary>
/// The canonical pod templates of ReplicaSets, by uid and resourceVersion: a controller that compares templates at every
/// sync computes each ReplicaSet's once per version. Bounded: it starts afresh past <see cref="Limit"/> entries.
/// </summary>
internal sealed class CanonicalTemplates
{
    internal const int Limit = 4096;

    private readonly ConcurrentDictionary<string, (string Version, string Canonical)> known = new(StringComparer.Ordinal);

    internal int Count => known.Count;

    public string Of(JsonObject replicaSet)
    {
        var uid = replicaSet.Text("metadata", "uid");
        var version = replicaSet.Text("metadata", "resourceVersion");
        if (uid is null || version is null)
        {
            return PodTemplateHash.Canonical(replicaSet.At("spec", "template"));
        }

        if (known.TryGetValue(uid, out var entry) && entry.Version == version)
        {
            return entry.Canonical;
        }

        if (known.Count >= Limit)
        {
            known.Clear();
        }

        var canonical = PodTemplateHash.Canonical(replicaSet.At("spec", "template"));
        known[uid] = (version, canonical);
        return canonical;
    }
}
