using Portal.Cluster;

namespace Portal.Requests;

/// <summary>
/// The rules of a request's persistent volumes: names, sizes, mount paths, and sizes that may grow but never shrink (a
/// PersistentVolumeClaim cannot give storage back). Errors are keyed <c>Volumes[i].Field</c> like the other form rows.
/// </summary>
public static class VolumeRules
{
    public const int MaxVolumes = 10;
    public const int MaxMountPathLength = 1024;

    /// <param name="claimed">The volumes as their claims are now (see <see cref="Claimed"/>), by name.</param>
    public static void Validate(RequestForm form, IReadOnlyDictionary<string, VolumeSpec> claimed, Action<string, string> add)
    {
        var volumes = form.Volumes;
        if (volumes.Count > MaxVolumes)
        {
            add(nameof(form.Volumes), $"At most {MaxVolumes} volumes per service.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var paths = new List<(int Index, string Path)>();
        for (var i = 0; i < volumes.Count; i++)
        {
            var row = volumes[i];
            var field = $"{nameof(form.Volumes)}[{i}].";
            var name = (row.Name ?? "").Trim();
            if (KubernetesNames.ValidateLabel(name, "Volume name") is { } nameError)
            {
                add(field + nameof(VolumeRow.Name), nameError);
            }
            else if (!names.Add(name))
            {
                add(field + nameof(VolumeRow.Name), $"{name} is listed twice: volume names are unique per service.");
            }

            var size = (row.Size ?? "").Trim();
            if (!Quantity.TryParse(size, out var bytes) || bytes < 1 || bytes != decimal.Truncate(bytes))
            {
                add(field + nameof(VolumeRow.Size), "Size must be a whole number of bytes as a Kubernetes quantity, e.g. 1Gi or 500Mi.");
            }
            else if (claimed.TryGetValue(name, out var existing) && Quantity.TryParse(existing.Size, out var claimedBytes) && bytes < claimedBytes)
            {
                add(field + nameof(VolumeRow.Size), $"{name} has {existing.Size} now: a volume can grow but never shrink (its claim cannot give storage back). Use {existing.Size} or more.");
            }

            if (claimed.TryGetValue(name, out var before))
            {
                // Kubernetes keeps a claim's access modes and class as created; only its size may change.
                if (before.AccessMode != row.AccessMode)
                {
                    add(field + nameof(VolumeRow.AccessMode), $"{name} was created {before.AccessMode}: a claim's access mode cannot change. Add a volume with another name instead.");
                }

                if (!string.Equals(before.StorageClass, string.IsNullOrWhiteSpace(row.StorageClass) ? null : row.StorageClass.Trim(), StringComparison.Ordinal))
                {
                    add(field + nameof(VolumeRow.StorageClass), $"{name} was created with {(before.StorageClass is null ? "the default storage class" : $"storage class {before.StorageClass}")}: a claim's class cannot change. Add a volume with another name instead.");
                }
            }

            if (PathError((row.MountPath ?? "").Trim()) is { } pathError)
            {
                add(field + nameof(VolumeRow.MountPath), pathError);
            }
            else
            {
                var path = Normalize(row.MountPath!);
                if (paths.FirstOrDefault(p => Overlaps(p.Path, path)) is { Path: not null } other)
                {
                    add(field + nameof(VolumeRow.MountPath), other.Path == path
                        ? $"{path} is already the mount path of volume {other.Index + 1}."
                        : $"{path} overlaps {other.Path} (volume {other.Index + 1}): one would hide the other.");
                }

                paths.Add((i, path));
            }

            if (!string.IsNullOrWhiteSpace(row.StorageClass) && KubernetesNames.ValidateSubdomain(row.StorageClass.Trim(), "Storage class") is { } classError)
            {
                add(field + nameof(VolumeRow.StorageClass), classError);
            }
        }
    }

    /// <summary>
    /// The volumes of <paramref name="specs"/> (the current revision, the last applied request) by name, each with the
    /// largest size any of them had: the size its claim has now.
    /// </summary>
    public static IReadOnlyDictionary<string, VolumeSpec> Claimed(params RequestSpec?[] specs)
    {
        var claimed = new Dictionary<string, VolumeSpec>(StringComparer.Ordinal);
        foreach (var volume in specs.SelectMany(s => s?.Volumes ?? []))
        {
            if (!claimed.TryGetValue(volume.Name, out var known))
            {
                claimed[volume.Name] = volume;
            }
            else if (Quantity.TryParse(volume.Size, out var bytes) && Quantity.TryParse(known.Size, out var knownBytes) && bytes > knownBytes)
            {
                claimed[volume.Name] = known with { Size = volume.Size };
            }
        }

        return claimed;
    }

    /// <summary>
    /// What the review says about the volumes: a ReadWriteOnce volume is attached to one node, so more than one replica (or
    /// an autoscaler that may add some) and a rolling update, which starts the new pod before the old one stops, cannot
    /// both have it. Warnings, not errors: on a one-node cluster it works.
    /// </summary>
    public static IReadOnlyList<string> Risks(RequestSpec spec)
    {
        var risks = new List<string>();
        foreach (var volume in spec.Volumes ?? [])
        {
            if (volume.AccessMode is not (VolumeAccessMode.ReadWriteOnce or VolumeAccessMode.ReadWriteOncePod))
            {
                continue;
            }

            var mode = volume.AccessMode.ToString();
            if (spec.Autoscaling is { } hpa)
            {
                risks.Add($"Volume {volume.Name} is {mode}: the autoscaler may run up to {hpa.MaxReplicas} pods, and pods on another node cannot attach it. Turn autoscaling off with 1 replica, or use ReadWriteMany.");
            }
            else if (spec.Replicas > 1)
            {
                risks.Add($"Volume {volume.Name} is {mode}: it attaches to one node only, so {spec.Replicas} replicas cannot all use it. Use 1 replica, or ReadWriteMany.");
            }

            if (spec.Strategy?.Type != RolloutStrategyKind.Recreate)
            {
                risks.Add($"Volume {volume.Name} is {mode}: a rolling update starts the new pod while the old one holds the volume, and the new one cannot attach it. Use the Recreate strategy.");
            }
        }

        return risks;
    }

    /// <summary>What the review says about volumes the current revision has and this request does not: their claims stay.</summary>
    public static IReadOnlyList<string> Kept(RequestSpec? current, RequestSpec next)
    {
        var now = (next.Volumes ?? []).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        return [.. (current?.Volumes ?? []).Where(v => !now.Contains(v.Name))
            .Select(v => $"Volume {v.Name} is no longer mounted, but its claim ({v.Size}) and its data are kept in the cluster: the portal never deletes a volume. Delete the claim with kubectl when it is no longer needed.")];
    }

    public static string Describe(VolumeSpec volume) =>
        $"{volume.Name} {volume.Size} at {volume.MountPath}, {volume.AccessMode}, {(volume.StorageClass is null ? "default storage class" : $"storage class {volume.StorageClass}")}";

    private static string? PathError(string path)
    {
        if (path.Length == 0)
        {
            return "Give the path the volume is mounted at, e.g. /var/lib/data.";
        }

        if (!path.StartsWith('/') || path.Length > MaxMountPathLength || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ':'))
        {
            return $"The mount path must be an absolute path without spaces or ':' (at most {MaxMountPathLength} characters), e.g. /var/lib/data.";
        }

        if (Normalize(path) == "/" || path.Split('/').Any(segment => segment is "." or ".."))
        {
            return "The mount path cannot be / nor contain '.' or '..' segments.";
        }

        return null;
    }

    private static string Normalize(string path) => path.Trim().Length > 1 ? path.Trim().TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/" : path.Trim();

    private static bool Overlaps(string a, string b) =>
        a == b || b.StartsWith(a + "/", StringComparison.Ordinal) || a.StartsWith(b + "/", StringComparison.Ordinal);
}
