using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portal.Requests;

/// <summary>
/// The whole desired state of one service in one environment. Immutable once a request is submitted; secret values are
/// referenced by id (their encrypted rows), never carried here.
/// </summary>
public sealed record RequestSpec
{
    public required string ImageRepository { get; init; }

    public required string ImageTag { get; init; }

    /// <summary>The digest the tag resolved to when the request was submitted, when known.</summary>
    public string? ImageDigest { get; init; }

    /// <summary>Fixed replica count; null when autoscaling owns it.</summary>
    public int? Replicas { get; init; }

    public AutoscalingSpec? Autoscaling { get; init; }

    public required ResourceSpec Resources { get; init; }

    public IReadOnlyList<EnvVarSpec> EnvVars { get; init; } = [];

    /// <summary>Every secret key of the desired state, with the id of the encrypted value it uses.</summary>
    public IReadOnlyList<SecretRef> Secrets { get; init; } = [];

    public ProbeSpec? Readiness { get; init; }

    public ProbeSpec? Liveness { get; init; }

    public int ContainerPort { get; init; }

    public string Image => ImageDigest is null ? $"{ImageRepository}:{ImageTag}" : $"{ImageRepository}:{ImageTag}@{ImageDigest}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RequestSpec FromJson(string json) => JsonSerializer.Deserialize<RequestSpec>(json, Json)
        ?? throw new InvalidOperationException("A stored request spec is empty.");

    /// <summary>SHA-256 of the canonical JSON: an approval is bound to this exact value.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())));

    public bool Equivalent(RequestSpec other) => ToJson() == other.ToJson();
}

public sealed record AutoscalingSpec(int MinReplicas, int MaxReplicas, int CpuTargetPercent, int? MemoryTargetPercent);

public sealed record ResourceSpec(string CpuRequest, string CpuLimit, string MemoryRequest, string MemoryLimit);

public sealed record EnvVarSpec(string Name, string Value);

public sealed record SecretRef(string Key, int ValueId);

public sealed record ProbeSpec(string Path, int Port, int InitialDelaySeconds);
