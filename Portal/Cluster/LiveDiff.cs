using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Portal.Rollouts;

namespace Portal.Cluster;

public enum LiveDiffStatus
{
    /// <summary>The cluster answered the dry-run of every object.</summary>
    Compared,

    /// <summary>The API server refused an object (422 Invalid, 403 Forbidden...): the apply would fail the same way.</summary>
    Refused,

    /// <summary>The cluster could not be asked (down, timed out, no kubeconfig): nothing is known about it.</summary>
    Unreachable,
}

public enum ObjectChange
{
    Unchanged,
    Created,
    Changed,
    Deleted,
}

/// <param name="Lines">The change in form terms ("replicas 3 → 2").</param>
/// <param name="Diff">A unified diff of the object's YAML, live against dry-run, as <c>kubectl diff</c> prints it; secret values masked.</param>
public sealed record ObjectDiff(string Kind, string Name, ObjectChange Change, IReadOnlyList<string> Lines, string Diff);

/// <summary>What an apply would change in the cluster, as the cluster itself computed it in a server-side-apply dry run.</summary>
public sealed record LiveDiffResult(LiveDiffStatus Status, string? Message, IReadOnlyList<ObjectDiff> Objects)
{
    public static LiveDiffResult Unreachable(string message) => new(LiveDiffStatus.Unreachable, message, []);

    public IEnumerable<string> Lines => Objects.SelectMany(o => o.Lines);

    public bool ChangesNothing => Status == LiveDiffStatus.Compared && Objects.All(o => o.Change == ObjectChange.Unchanged);

    /// <summary>The whole YAML diff of every object that changes.</summary>
    public string Diff => string.Concat(Objects.Select(o => o.Diff));
}

/// <summary>
/// Sends a request's manifests to the cluster as a server-side apply with <c>dryRun=All</c> (same field manager and force
/// as the real apply) and compares each answer with the live object, the way <c>kubectl diff --server-side</c> does.
/// Works on whatever objects <see cref="ManifestBuilder"/> produces: core kinds through their typed calls, every other
/// group through the generic object calls. Secret values are masked before anything is rendered.
/// </summary>
public sealed class LiveDiff(ClusterConnections connections, ILogger<LiveDiff> logger)
{
    /// <summary>How long the review waits for the cluster before saying it cannot be reached.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Objects the apply deletes when a request no longer has them (see <see cref="ClusterApplier"/>).</summary>
    private static readonly (string ApiVersion, string Kind)[] DeletedWhenAbsent = [("v1", "Secret"), ("v1", "Service"), ("autoscaling/v2", "HorizontalPodAutoscaler"), ("policy/v1", "PodDisruptionBudget"), ("networking.k8s.io/v1", "Ingress")];

    private static readonly string[] NoiseFields = ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"];

    public async Task<LiveDiffResult> CompareAsync(string cluster, Manifests manifests, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var service = manifests.Deployment.Metadata.Name;
        var ns = manifests.Deployment.Metadata.NamespaceProperty;
        var current = "";
        try
        {
            var client = await connections.ConnectAsync(cluster);
            var all = manifests.All().ToList();
            // The Namespace first: whether it exists decides how the others are asked. Then every other object at once,
            // each its live read and its dry run side by side; a refusal names the first refused object in apply order.
            var first = await AskAsync(client, all[0], namespaceIsNew: false, timeout.Token);
            current = first.Name;
            first.Error?.Throw();
            var namespaceIsNew = all[0] is V1Namespace && first.Live is null;
            var rest = all.Skip(1).Select(m => AskAsync(client, m, namespaceIsNew, timeout.Token)).ToList();
            var present = all.Select(m => m.Kind).ToHashSet(StringComparer.Ordinal);
            var absent = DeletedWhenAbsent.Where(k => !present.Contains(k.Kind)).Select(k => ReadAbsentAsync(client, k.ApiVersion, k.Kind, ns, service, namespaceIsNew, timeout.Token)).ToList();
            var answers = new List<Answer> { first };
            foreach (var answer in rest.Concat(absent))
            {
                answers.Add(await answer);
            }

            var objects = new List<ObjectDiff>();
            foreach (var answer in answers)
            {
                current = answer.Name;
                answer.Error?.Throw();
                if (answer.Diff is not null)
                {
                    objects.Add(answer.Diff);
                }
            }

            return new LiveDiffResult(LiveDiffStatus.Compared, null, objects);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return new LiveDiffResult(LiveDiffStatus.Refused, $"{current}: {ServerMessage(e)}", []);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Down, timed out, no kubeconfig yet, credentials refused (401): the review cannot tell, and the apply will
            // report it with its own retries.
            logger.LogWarning("The live diff of {Service} in {Namespace} could not ask cluster {Cluster}: {Reason}", service, ns, cluster, e.GetType().Name);
            var reason = e is OperationCanceledException ? $"it did not answer within {Timeout.TotalSeconds:0} s" : ClusterApplier.Describe(e);
            return LiveDiffResult.Unreachable($"The cluster '{cluster}' could not be reached ({reason}).");
        }
    }

    /// <summary>One object's live read and dry run; a failure is kept, to be thrown in apply order.</summary>
    private static async Task<Answer> AskAsync(IKubernetes client, IKubernetesObject<V1ObjectMeta> manifest, bool namespaceIsNew, CancellationToken cancellationToken)
    {
        var name = $"{manifest.Kind} {manifest.Metadata.Name}";
        try
        {
            var kind = new ObjectKind(manifest.ApiVersion, manifest.Kind);
            var live = kind.GetAsync(client, manifest.Metadata.NamespaceProperty, manifest.Metadata.Name, cancellationToken);
            // A dry run cannot create an object in a namespace that does not exist yet (kubectl diff has the same limit):
            // the manifest itself is what will be created.
            var after = namespaceIsNew && manifest is not V1Namespace
                ? Task.FromResult(JsonNode.Parse(KubernetesJson.Serialize(manifest))!)
                : kind.DryRunApplyAsync(client, manifest, cancellationToken);
            await Task.WhenAll(new Task[] { live, after });
            return new Answer(name, await live, Compare(manifest.Kind, manifest.Metadata.Name, await live, await after), null);
        }
        catch (Exception e)
        {
            return new Answer(name, null, null, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e));
        }
    }

    /// <summary>An object the apply deletes because the request no longer has it: shown as deleted when the portal made it.</summary>
    private static async Task<Answer> ReadAbsentAsync(IKubernetes client, string apiVersion, string kindName, string ns, string service, bool namespaceIsNew, CancellationToken cancellationToken)
    {
        var name = kindName == "Secret" ? ManifestBuilder.SecretName(service) : service;
        try
        {
            var live = namespaceIsNew ? null : await new ObjectKind(apiVersion, kindName).GetAsync(client, ns, name, cancellationToken);
            var managed = live?["metadata"]?["labels"]?[ManifestBuilder.ManagedByLabel]?.GetValue<string>() == ManifestBuilder.ManagedBy;
            return new Answer($"{kindName} {name}", live, managed ? Compare(kindName, name, live, null) : null, null);
        }
        catch (Exception e)
        {
            return new Answer($"{kindName} {name}", null, null, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e));
        }
    }

    private sealed record Answer(string Name, JsonNode? Live, ObjectDiff? Diff, System.Runtime.ExceptionServices.ExceptionDispatchInfo? Error);

    /// <summary>The API server's own message, without our request (which may hold secret data).</summary>
    private static string ServerMessage(HttpOperationException e)
    {
        try
        {
            using var status = JsonDocument.Parse(e.Response.Content ?? "");
            if (status.RootElement.TryGetProperty("message", out var message) && message.GetString() is { } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
        }

        return $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}";
    }

    /// <summary>Compares a live object (null: absent) with what the apply would make of it (null: deleted).</summary>
    public static ObjectDiff Compare(string kind, string name, JsonNode? live, JsonNode? after)
    {
        var before = Normalize(live);
        var next = Normalize(after);
        if (kind == "Secret")
        {
            MaskSecretData(before, next);
        }

        var change = (before, next) switch
        {
            (null, null) => ObjectChange.Unchanged,
            (null, _) => ObjectChange.Created,
            (_, null) => ObjectChange.Deleted,
            _ when JsonNode.DeepEquals(before, next) => ObjectChange.Unchanged,
            _ => ObjectChange.Changed,
        };
        var diff = change == ObjectChange.Unchanged ? "" : LiveDiffText.Unified(
            before is null ? "" : LiveDiffText.Yaml(before),
            next is null ? "" : LiveDiffText.Yaml(next),
            $"live/{kind}/{name}",
            $"dry-run/{kind}/{name}");
        IReadOnlyList<string> lines = change switch
        {
            ObjectChange.Created => [$"{kind} {name} will be created"],
            ObjectChange.Deleted => [$"{kind} {name} will be deleted"],
            ObjectChange.Changed => FormTerms.Describe(kind, name, before!, next!),
            _ => [],
        };
        return new ObjectDiff(kind, name, change, lines, diff);
    }

    /// <summary>Drops what <c>kubectl diff</c> hides or what only the server keeps (bookkeeping, status), and the request-id annotation, which every request changes.</summary>
    private static JsonObject? Normalize(JsonNode? node)
    {
        if (node is not JsonObject source)
        {
            return null;
        }

        var obj = source.DeepClone().AsObject();
        obj.Remove("status");
        if (obj["metadata"] is JsonObject metadata)
        {
            foreach (var field in NoiseFields)
            {
                metadata.Remove(field);
            }

            DropAnnotation(metadata);
        }

        if (obj["spec"]?["template"]?["metadata"] is JsonObject template)
        {
            DropAnnotation(template);
        }

        return obj;
    }

    private static void DropAnnotation(JsonObject metadata)
    {
        if (metadata["annotations"] is JsonObject annotations)
        {
            annotations.Remove(ManifestBuilder.RequestAnnotation);
            if (annotations.Count == 0)
            {
                metadata.Remove("annotations");
            }
        }
    }

    /// <summary>As kubectl diff does: every value becomes <c>***</c>, marked (before)/(after) where it changes.</summary>
    private static void MaskSecretData(JsonObject? before, JsonObject? after)
    {
        var old = before?["data"] as JsonObject;
        var @new = after?["data"] as JsonObject;
        var changed = (old?.Select(p => p.Key) ?? []).Where(k => @new?.ContainsKey(k) == true && !JsonNode.DeepEquals(old![k], @new![k])).ToHashSet(StringComparer.Ordinal);
        foreach (var data in new[] { old, @new })
        {
            foreach (var key in data?.Select(p => p.Key).ToList() ?? [])
            {
                data![key] = changed.Contains(key) ? (data == old ? "*** (before)" : "*** (after)") : "***";
            }
        }

        before?.Remove("stringData");
        after?.Remove("stringData");
    }

    /// <summary>How to reach one kind: the typed calls for the core group, the generic object calls for every named group.</summary>
    private sealed record ObjectKind(string ApiVersion, string Kind)
    {
        private string Group => ApiVersion.Contains('/') ? ApiVersion[..ApiVersion.IndexOf('/')] : "";

        private string Version => ApiVersion.Contains('/') ? ApiVersion[(ApiVersion.IndexOf('/') + 1)..] : ApiVersion;

        // Kubernetes' plural of every kind the portal writes: lower case, "s", "es" after s, "ies" after a consonant y.
        private string Plural
        {
            get
            {
                var lower = Kind.ToLowerInvariant();
                return lower.EndsWith('s') ? lower + "es" : lower.EndsWith('y') ? lower[..^1] + "ies" : lower + "s";
            }
        }

        public async Task<JsonNode?> GetAsync(IKubernetes client, string? ns, string name, CancellationToken cancellationToken)
        {
            try
            {
                object live = (Group, Kind) switch
                {
                    ("", "Namespace") => await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken),
                    ("", "ConfigMap") => await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken),
                    ("", "Secret") => await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken),
                    ("", "Service") => await client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: cancellationToken),
                    ("", "ServiceAccount") => await client.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: cancellationToken),
                    ("", "PersistentVolumeClaim") => await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, ns, cancellationToken: cancellationToken),
                    ("", _) => throw new NotSupportedException($"The live diff does not know the core kind {Kind}."),
                    _ => await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name, cancellationToken),
                };
                return ToNode(live);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }

        public async Task<JsonNode> DryRunApplyAsync(IKubernetes client, IKubernetesObject<V1ObjectMeta> manifest, CancellationToken cancellationToken)
        {
            var patch = new V1Patch(KubernetesJson.Serialize(manifest), V1Patch.PatchType.ApplyPatch);
            var name = manifest.Metadata.Name;
            var ns = manifest.Metadata.NamespaceProperty;
            const string dryRun = "All";
            const string manager = ClusterApplier.FieldManager;
            object after = (Group, Kind) switch
            {
                ("", "Namespace") => await client.CoreV1.PatchNamespaceAsync(patch, name, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
                ("", "ConfigMap") => await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
                ("", "Secret") => await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
                ("", "Service") => await client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
                ("", "ServiceAccount") => await client.CoreV1.PatchNamespacedServiceAccountAsync(patch, name, ns, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
                ("", "PersistentVolumeClaim") => await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ns, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
                ("", _) => throw new NotSupportedException($"The live diff does not know the core kind {Kind}."),
                _ => await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, Group, Version, ns, Plural, name, dryRun: dryRun, fieldManager: manager, force: true, cancellationToken: cancellationToken),
            };
            return ToNode(after)!;
        }

        private static JsonNode? ToNode(object value) => value is JsonElement element ? JsonNode.Parse(element.GetRawText()) : JsonNode.Parse(KubernetesJson.Serialize(value));
    }
}

/// <summary>A changed object in the words of the request form: replicas, image, resources, env, secrets (keys only), probes.</summary>
internal static class FormTerms
{
    public static List<string> Describe(string kind, string name, JsonObject before, JsonObject after)
    {
        var old = Flatten(before);
        var @new = Flatten(after);
        var lines = new List<string>();
        var secretKeys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in old.Keys.Union(@new.Keys).Order(StringComparer.Ordinal))
        {
            old.TryGetValue(path, out var a);
            @new.TryGetValue(path, out var b);
            if (a == b)
            {
                continue;
            }

            if (kind == "Secret" && path.StartsWith("data.", StringComparison.Ordinal))
            {
                var key = path["data.".Length..];
                lines.Add(a is null ? $"secret {key} added" : b is null ? $"secret {key} removed" : $"secret {key} changed");
                secretKeys.Add(key);
                continue;
            }

            if (path.EndsWith(ManifestBuilder.SecretChecksumAnnotation, StringComparison.Ordinal))
            {
                // The pods roll because a secret changed: the Secret's own lines say which key.
                continue;
            }

            lines.Add(Line(kind, name, path, a, b));
        }

        return lines;
    }

    private static string Line(string kind, string name, string path, string? a, string? b)
    {
        var label = (kind, path) switch
        {
            ("Deployment", "spec.replicas") => "replicas",
            ("HorizontalPodAutoscaler", "spec.minReplicas") => "autoscaling minimum",
            ("HorizontalPodAutoscaler", "spec.maxReplicas") => "autoscaling maximum",
            ("ConfigMap", _) when path.StartsWith("data.", StringComparison.Ordinal) => $"env {path["data.".Length..]}",
            ("Deployment", _) when Container(path) is { } rest => rest switch
            {
                "image" => "image",
                "resources.requests.cpu" => "CPU request",
                "resources.limits.cpu" => "CPU limit",
                "resources.requests.memory" => "memory request",
                "resources.limits.memory" => "memory limit",
                _ when rest.StartsWith("ports", StringComparison.Ordinal) && rest.EndsWith("containerPort", StringComparison.Ordinal) => "container port",
                _ when rest.StartsWith("readinessProbe.", StringComparison.Ordinal) => $"readiness probe {rest["readinessProbe.".Length..]}",
                _ when rest.StartsWith("livenessProbe.", StringComparison.Ordinal) => $"liveness probe {rest["livenessProbe.".Length..]}",
                _ when rest.StartsWith("startupProbe.", StringComparison.Ordinal) => $"startup probe {rest["startupProbe.".Length..]}",
                _ => $"{kind} {name} container {rest}",
            },
            _ => $"{kind} {name} {path}",
        };
        return (a, b) switch
        {
            (null, _) => $"{label} set to {Show(b)}",
            (_, null) => $"{label} {Show(a)} removed",
            _ => $"{label} {Show(a)} → {Show(b)}",
        };
    }

    private static string? Container(string path)
    {
        const string prefix = "spec.template.spec.containers[";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var end = path.IndexOf("].", prefix.Length, StringComparison.Ordinal);
        return end < 0 ? null : path[(end + 2)..];
    }

    private static string Show(string? value) => value is null ? "" : value.Length > 60 ? value[..57] + "..." : value;

    /// <summary>Every leaf by path; list items named by their <c>name</c> when they have one, so a reorder is not a change.</summary>
    private static Dictionary<string, string> Flatten(JsonNode node)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonNode? current, string path)
        {
            switch (current)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        Walk(value, path.Length == 0 ? key : $"{path}.{key}");
                    }

                    break;
                case JsonArray list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        var id = list[i]?["name"] is JsonValue itemName && itemName.GetValueKind() == JsonValueKind.String ? itemName.GetValue<string>() : i.ToString(CultureInfo.InvariantCulture);
                        Walk(list[i], $"{path}[{id}]");
                    }

                    break;
                case JsonValue value:
                    leaves[path] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                    break;
            }
        }

        Walk(node, "");
        return leaves;
    }
}
