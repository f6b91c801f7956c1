using System.IO.Compression;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Catalog;

/// <summary>
/// A service's applied manifests as a Kustomize tree in a zip: <c>base/</c> holds the objects every environment has (as
/// the first environment applied them), <c>overlays/{environment}/</c> sets the namespace, patches what differs (JSON
/// patches), adds what only that environment has and generates its Secret with placeholder values. Rendered with
/// <c>kubectl kustomize overlays/{environment}</c>, it gives what was last applied there, secret values aside.
/// </summary>
public sealed class ServiceExport(IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access, IOptions<EnvironmentCatalog> environments)
{
    public const string Placeholder = "REPLACE_ME";

    private static readonly JsonSerializerOptions PatchJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<Outcome<byte[]>> ExportAsync(ClaimsPrincipal user, string team, string serviceName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var service = await db.Services.AsNoTracking().Where(s => s.Team.Name == team && s.Name == serviceName).Select(s => new { s.Id, s.TeamId }).SingleOrDefaultAsync(cancellationToken);
        if (service is null)
        {
            return Outcome<byte[]>.NotFound($"There is no service {team}/{serviceName}.");
        }

        // What was applied is a team's business, like its requests and rollouts.
        if (!await access.CanSeeAsync(user, service.TeamId, cancellationToken))
        {
            return Outcome<byte[]>.Forbidden($"Only members of {team} (and Admins) can export the manifests of {serviceName}.");
        }

        var applied = new List<Applied>();
        foreach (var environment in environments.Value.Environments)
        {
            var yaml = await db.RolloutRecords.AsNoTracking()
                .Where(r => r.AppliedAt != null && db.DeploymentRequests.Any(q => q.Id == r.RequestId && q.ServiceId == service.Id && q.Environment == environment.Name))
                .OrderByDescending(r => r.RequestId)
                .Select(r => new { r.RequestId, r.AppliedManifests, r.Namespace })
                .FirstOrDefaultAsync(cancellationToken);
            if (yaml is not null)
            {
                applied.Add(new Applied(environment.Name, yaml.Namespace, yaml.RequestId, Parse(yaml.AppliedManifests)));
            }
        }

        if (applied.Count == 0)
        {
            return Outcome<byte[]>.NotFound($"Nothing of {serviceName} has been applied yet: there is nothing to export.");
        }

        return Outcome<byte[]>.Ok(Zip(serviceName, applied));
    }

    /// <summary>The objects of one environment by "Kind/name", namespaces dropped (the overlay sets them).</summary>
    private static Dictionary<string, JsonObject> Parse(string yaml)
    {
        var objects = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in KubernetesYaml.LoadAllFromString(yaml))
        {
            var obj = JsonNode.Parse(KubernetesJson.Serialize(item))!.AsObject();
            (obj["metadata"] as JsonObject)?.Remove("namespace");
            objects[$"{obj["kind"]}/{obj["metadata"]?["name"]}"] = obj;
        }

        return objects;
    }

    private static byte[] Zip(string serviceName, List<Applied> applied)
    {
        var shared = applied[0].Objects.Keys.Where(k => !IsSecret(k) && applied.All(a => a.Objects.ContainsKey(k))).ToList();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Write(string path, string text)
            {
                using var writer = new StreamWriter(zip.CreateEntry(path).Open(), new UTF8Encoding(false));
                writer.Write(text);
            }

            foreach (var key in shared)
            {
                Write($"base/{FileName(key)}", LiveDiffText.Yaml(applied[0].Objects[key]));
            }

            Write("base/kustomization.yaml", LiveDiffText.Yaml(new JsonObject
            {
                ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
                ["kind"] = "Kustomization",
                ["resources"] = new JsonArray([.. shared.Select(k => (JsonNode)FileName(k))]),
            }));

            foreach (var environment in applied)
            {
                var own = environment.Objects.Keys.Where(k => !IsSecret(k) && !shared.Contains(k)).ToList();
                foreach (var key in own)
                {
                    Write($"overlays/{environment.Name}/{FileName(key)}", LiveDiffText.Yaml(environment.Objects[key]));
                }

                var kustomization = new JsonObject
                {
                    ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
                    ["kind"] = "Kustomization",
                    ["namespace"] = environment.Namespace,
                    ["resources"] = new JsonArray([(JsonNode)"../../base", .. own.Select(k => (JsonNode)FileName(k))]),
                };
                var patches = new JsonArray();
                foreach (var key in shared)
                {
                    var ops = new JsonArray();
                    JsonPatch(applied[0].Objects[key], environment.Objects[key], "", ops);
                    if (ops.Count > 0)
                    {
                        var obj = environment.Objects[key];
                        var apiVersion = obj["apiVersion"]!.GetValue<string>();
                        var target = new JsonObject { ["kind"] = obj["kind"]!.DeepClone(), ["name"] = obj["metadata"]!["name"]!.DeepClone(), ["version"] = apiVersion.Contains('/') ? apiVersion[(apiVersion.IndexOf('/') + 1)..] : apiVersion };
                        if (apiVersion.Contains('/'))
                        {
                            target["group"] = apiVersion[..apiVersion.IndexOf('/')];
                        }

                        patches.Add(new JsonObject { ["target"] = target, ["patch"] = ops.ToJsonString(PatchJson) });
                    }
                }

                if (patches.Count > 0)
                {
                    kustomization["patches"] = patches;
                }

                var generators = new JsonArray([.. environment.Objects.Where(o => IsSecret(o.Key)).Select(o => SecretGenerator(o.Value))]);
                if (generators.Count > 0)
                {
                    kustomization["secretGenerator"] = generators;
                }

                Write($"overlays/{environment.Name}/kustomization.yaml", LiveDiffText.Yaml(kustomization));
            }

            Write("README.md", Readme(serviceName, applied));
        }

        return buffer.ToArray();
    }

    /// <summary>The applied Secret as a generator: its keys with a placeholder, never a value (none is stored in the export's source either).</summary>
    private static JsonObject SecretGenerator(JsonObject secret)
    {
        var metadata = secret["metadata"]!;
        var options = new JsonObject { ["disableNameSuffixHash"] = true };
        if (metadata["labels"] is JsonObject labels)
        {
            options["labels"] = labels.DeepClone();
        }

        if (metadata["annotations"] is JsonObject annotations)
        {
            options["annotations"] = annotations.DeepClone();
        }

        // The stored manifests name the keys under stringData ("(redacted)"); older ones under data.
        var keys = new[] { "data", "stringData" }.SelectMany(field => (secret[field] as JsonObject)?.Select(p => p.Key) ?? []).Distinct().Order(StringComparer.Ordinal);
        return new JsonObject
        {
            ["name"] = metadata["name"]!.DeepClone(),
            ["type"] = secret["type"]?.DeepClone() ?? "Opaque",
            ["literals"] = new JsonArray([.. keys.Select(k => (JsonNode)$"{k}={Placeholder}")]),
            ["options"] = options,
        };
    }

    /// <summary>RFC 6902 operations that turn <paramref name="from"/> into <paramref name="to"/>; lists are replaced whole.</summary>
    private static void JsonPatch(JsonNode? from, JsonNode? to, string path, JsonArray ops)
    {
        if (from is JsonObject a && to is JsonObject b)
        {
            foreach (var (key, value) in a)
            {
                var child = $"{path}/{key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}";
                if (!b.ContainsKey(key))
                {
                    ops.Add(new JsonObject { ["op"] = "remove", ["path"] = child });
                }
                else
                {
                    JsonPatch(value, b[key], child, ops);
                }
            }

            foreach (var (key, value) in b.Where(p => !a.ContainsKey(p.Key)))
            {
                ops.Add(new JsonObject { ["op"] = "add", ["path"] = $"{path}/{key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}", ["value"] = value?.DeepClone() });
            }
        }
        else if (!JsonNode.DeepEquals(from, to))
        {
            ops.Add(new JsonObject { ["op"] = "replace", ["path"] = path, ["value"] = to?.DeepClone() });
        }
    }

    private static bool IsSecret(string key) => key.StartsWith("Secret/", StringComparison.Ordinal);

    private static string FileName(string key) => $"{key.Replace('/', '-').ToLowerInvariant()}.yaml";

    private static string Readme(string serviceName, List<Applied> applied)
    {
        var text = new StringBuilder($"# {serviceName}: applied manifests as Kustomize\n\n");
        text.Append("`kubectl kustomize overlays/<environment>` renders what the portal last applied there:\n\n");
        foreach (var environment in applied)
        {
            text.Append($"- `{environment.Name}`: request #{environment.RequestId}, namespace `{environment.Namespace}`\n");
        }

        text.Append($"\nSecret values are not exported: each overlay's `secretGenerator` lists the keys with the placeholder `{Placeholder}`.\n");
        return text.ToString();
    }

    private sealed record Applied(string Name, string Namespace, int RequestId, Dictionary<string, JsonObject> Objects);
}
