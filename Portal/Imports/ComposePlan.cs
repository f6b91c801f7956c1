using System.Text.Json.Serialization;
using Portal.Catalog;
using Portal.Requests;

namespace Portal.Imports;

/// <summary>
/// What the portal would register and request for each service of a compose file, and what it leaves behind. Secret
/// values are not in the plan: it names their keys only, so the plan can be shown and returned as it is.
/// </summary>
public sealed record ComposePlan(IReadOnlyList<PlannedService> Services, IReadOnlyList<NotCarried> NotCarried);

/// <summary>One compose service as the portal would register it (<see cref="Name"/> is the portal's name for it).</summary>
/// <param name="ComposeName">The key under <c>services:</c> in the file.</param>
/// <param name="ContainerPort">The port behind the Service; 0 for a worker.</param>
/// <param name="Resources">Requests and limits from <c>deploy.resources</c>, or the portal's defaults (see <see cref="Notes"/>).</param>
/// <param name="SecretKeys">Keys that become write-only secrets; their values are never shown again.</param>
/// <param name="Problems">Why this service cannot be imported as it is; empty when it can.</param>
public sealed record PlannedService(
    string ComposeName,
    string Name,
    string ImageRepository,
    string ImageTag,
    ServiceKind Kind,
    int ContainerPort,
    int Replicas,
    ResourceSpec Resources,
    IReadOnlyList<EnvVarSpec> EnvVars,
    IReadOnlyList<string> SecretKeys,
    ProbeSpec? Readiness,
    IReadOnlyList<VolumeSpec> Volumes,
    IReadOnlyList<NotCarried> NotCarried,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> Problems)
{
    [JsonIgnore]
    public bool CanImport => Problems.Count == 0;
}

/// <summary>A key of the file the portal does not carry over, and why.</summary>
/// <param name="Key">Its path in the file, e.g. <c>services.api.depends_on</c>.</param>
public sealed record NotCarried(string Key, string Reason);

/// <summary>
/// A read compose file: the plan, and the values of the secret keys it names, kept apart so that only the import that
/// stores them (encrypted) ever sees them.
/// </summary>
public sealed class ComposeFile(ComposePlan plan, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secretValues)
{
    public ComposePlan Plan { get; } = plan;

    /// <summary>The secret values of one planned service (by its portal name), by key.</summary>
    internal IReadOnlyDictionary<string, string> SecretValuesOf(string service) =>
        secretValues.TryGetValue(service, out var values) ? values : new Dictionary<string, string>();

    public override string ToString() => $"Compose file with {Plan.Services.Count} services";
}
