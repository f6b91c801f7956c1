using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Patching;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>The verbs on resource URLs: get, list, watch, create, update, patch, delete, deletecollection, /status and /scale.</summary>
internal sealed class ResourceApi(ClusterStore store, CancellationToken stopping)
{
    public async Task HandleAsync(HttpContext context, ResourceRequest target)
    {
        try
        {
            await DispatchAsync(context, target);
        }
        catch (StoreException e)
        {
            await WriteAsync(context, e.Code, ApiStatus.Failure(e));
        }
        catch (JsonException e)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", $"the body of the request could not be decoded: {e.Message}"));
        }
    }

    private Task DispatchAsync(HttpContext context, ResourceRequest target)
    {
        var method = context.Request.Method;
        var (type, name, sub) = (target.Type, target.Name, target.Subresource);
        if (sub == "log" && type == ResourceTypes.Pods && name is not null && method == "GET")
        {
            return PodLogs.ServeAsync(context, store, target, stopping);
        }

        if (sub is not null and not "status" and not "scale")
        {
            throw new StoreException(404, "NotFound", "the server could not find the requested resource");
        }

        if (sub == "scale" && type != ResourceTypes.Deployments && type != ResourceTypes.ReplicaSets)
        {
            throw new StoreException(404, "NotFound", "the server could not find the requested resource");
        }

        if (name is null)
        {
            return method switch
            {
                "GET" when IsWatch(context.Request) => WatchStream.ServeAsync(context, store, target, stopping),
                "GET" => ListAsync(context, target),
                "POST" => CreateAsync(context, target),
                "DELETE" => DeleteCollectionAsync(context, target),
                _ => MethodNotAllowed(context),
            };
        }
        return method switch
        {
            "GET" when sub == "scale" => WriteAsync(context, 200, Scale(type, Existing(target))),
            "GET" => GetAsync(context, target),
            "PUT" => UpdateAsync(context, target),
            "PATCH" => PatchAsync(context, target),
            "DELETE" when sub is null => DeleteAsync(context, target),
            _ => MethodNotAllowed(context),
        };
    }

    private static bool IsWatch(HttpRequest request) => request.Flag("watch");

    private JsonObject Existing(ResourceRequest target) =>
        store.Get(target.Type, target.Namespace, target.Name!) ?? throw StoreException.NotFound(target.Type, target.Name!);

    private Task GetAsync(HttpContext context, ResourceRequest target)
    {
        var obj = Existing(target);
        if (TableView.IsRequested(context.Request))
        {
            return WriteAsync(context, 200, TableView.Build(target.Type, [obj], IncludeObject(context), ClusterStore.ResourceVersionOf(obj), store.Time.GetUtcNow()));
        }

        return WriteAsync(context, 200, obj);
    }

    private Task ListAsync(HttpContext context, ResourceRequest target)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var (all, resourceVersion) = store.ListWithVersion(target.Type, target.Namespace);
        IEnumerable<JsonObject> items = all.Where(o => labels.Matches(o) && fields.Matches(o));
        if (query["continue"].ToString() is { Length: > 0 } token)
        {
            var after = DecodeContinue(token);
            items = items.Where(o => string.CompareOrdinal(ClusterStore.Key(target.Type, ClusterStore.Namespace(o), ClusterStore.Name(o)), after) > 0);
        }
        var matching = items.ToList();
        string? next = null;
        long remaining = 0;
        if (int.TryParse(query["limit"], out var limit) && limit > 0 && matching.Count > limit)
        {
            remaining = matching.Count - limit;
            matching = matching[..limit];
            var last = matching[^1];
            next = EncodeContinue(ClusterStore.Key(target.Type, ClusterStore.Namespace(last), ClusterStore.Name(last)), resourceVersion);
        }
        if (TableView.IsRequested(context.Request))
        {
            return WriteAsync(context, 200, TableView.Build(target.Type, matching, IncludeObject(context), resourceVersion, store.Time.GetUtcNow(), next));
        }

        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (next is not null)
        {
            metadata["continue"] = next;
            metadata["remainingItemCount"] = remaining;
        }
        return WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = target.Type.Kind + "List",
            ["apiVersion"] = target.Type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. matching]),
        });
    }

    private async Task CreateAsync(HttpContext context, ResourceRequest target)
    {
        var type = target.Type;
        var body = await ReadObjectAsync(context);
        CheckKind(type, body);
        var metadata = Metadata(body);
        SetNamespace(type, target, metadata);
        FieldOwnership.RecordUpdate(null, body, FieldManager(context), type.ApiVersion, null, Now());
        await WriteAsync(context, 201, store.Create(type, body, IsDryRun(context)));
    }

    private async Task UpdateAsync(HttpContext context, ResourceRequest target)
    {
        var type = target.Type;
        var body = await ReadObjectAsync(context);
        var manager = FieldManager(context);
        if (target.Subresource == "scale")
        {
            var replicas = (long?)body["spec"]?["replicas"] ?? 0;
            var wanted = (string?)body["metadata"]?["resourceVersion"];
            var scaled = Write(context, target, current =>
            {
                if (!string.IsNullOrEmpty(wanted) && wanted != (string?)current["metadata"]?["resourceVersion"])
                {
                    throw StoreException.Conflict(type, target.Name!, "the object has been modified; please apply your changes to the latest version and try again");
                }

                return WithReplicas(current, replicas, manager);
            });
            await WriteAsync(context, 200, Scale(type, scaled));
            return;
        }
        CheckKind(type, body);
        var metadata = Metadata(body);
        if ((string?)metadata["name"] is { } bodyName && bodyName != target.Name)
        {
            throw StoreException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
        }

        metadata["name"] = target.Name;
        SetNamespace(type, target, metadata);
        var updated = Write(context, target, current =>
        {
            FieldOwnership.RecordUpdate(current, body, manager, type.ApiVersion, target.Subresource, Now());
            return body;
        });
        await WriteAsync(context, 200, updated);
    }

    private async Task PatchAsync(HttpContext context, ResourceRequest target)
    {
        var type = target.Type;
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var text = await ReadTextAsync(context);
        var manager = FieldManager(context);
        if (contentType == "application/apply-patch+yaml")
        {
            if (string.IsNullOrEmpty(context.Request.Query["fieldManager"]))
            {
                throw new StoreException(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
            }

            await ApplyAsync(context, target, YamlDocument.ParseObject(text), manager);
            return;
        }
        Func<JsonObject, JsonObject> patch = contentType switch
        {
            "application/json-patch+json" => current => JsonPatch.Apply(current, JsonNode.Parse(text) as JsonArray
                ?? throw StoreException.BadRequest("a json patch must be a list of operations")),
            "application/merge-patch+json" => current => MergePatch.Apply(current, ParsePatchObject(text)),
            "application/strategic-merge-patch+json" => current => StrategicMergePatch.Apply(current, ParsePatchObject(text)),
            _ => throw new StoreException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"),
        };
        if (target.Subresource == "scale")
        {
            var scaled = Write(context, target, current =>
            {
                var patchedScale = patch(Scale(type, current));
                return WithReplicas(current, (long?)patchedScale["spec"]?["replicas"] ?? 0, manager);
            });
            await WriteAsync(context, 200, Scale(type, scaled));
            return;
        }
        var patched = Write(context, target, current =>
        {
            var next = patch(current);
            if (next["metadata"] is not JsonObject metadata)
            {
                throw StoreException.BadRequest("the patch removed metadata");
            }
            // Identity comes from the URL whatever the patch says.
            metadata["name"] = target.Name;
            if (type.Namespaced)
            {
                metadata["namespace"] = target.Namespace;
            }

            FieldOwnership.RecordUpdate(current, next, manager, type.ApiVersion, target.Subresource, Now());
            return next;
        });
        await WriteAsync(context, 200, patched);
    }

    private async Task ApplyAsync(HttpContext context, ResourceRequest target, JsonObject applied, string manager)
    {
        var type = target.Type;
        if ((string?)applied["apiVersion"] != type.ApiVersion || (string?)applied["kind"] != type.Kind)
        {
            throw StoreException.BadRequest($"apply configuration must set apiVersion: {type.ApiVersion} and kind: {type.Kind}");
        }

        var metadata = Metadata(applied);
        if ((string?)metadata["name"] is { } bodyName && bodyName != target.Name)
        {
            throw StoreException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
        }

        metadata["name"] = target.Name;
        SetNamespace(type, target, metadata);
        var force = context.Request.Flag("force");
        var created = false;
        JsonObject? Merge(JsonObject? current)
        {
            if (current is null && target.Subresource is not null)
            {
                throw StoreException.NotFound(type, target.Name!);
            }

            created = current is null;
            return FieldOwnership.Apply(type, current, applied, manager, force, target.Subresource, Now());
        }
        var result = store.Change(type, target.Namespace, target.Name!, Merge, statusOnly: target.Subresource == "status", dryRun: IsDryRun(context))!;

        await WriteAsync(context, created ? 201 : 200, result);
    }

    private async Task DeleteAsync(HttpContext context, ResourceRequest target)
    {
        var type = target.Type;
        var options = await ReadDeleteOptionsAsync(context);
        var current = Existing(target);
        var preconditions = options["preconditions"];
        if ((string?)preconditions?["uid"] is { Length: > 0 } uid && uid != (string?)current["metadata"]?["uid"])
        {
            throw StoreException.Conflict(type, target.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current["metadata"]?["uid"]}");
        }

        if ((string?)preconditions?["resourceVersion"] is { Length: > 0 } rv && rv != (string?)current["metadata"]?["resourceVersion"])
        {
            throw StoreException.Conflict(type, target.Name!, "the object has been modified; please apply your changes to the latest version and try again");
        }

        var orphan = (string?)options["propagationPolicy"] == "Orphan" || (bool?)options["orphanDependents"] == true;
        // kubectl sends dryRun for deletes in the DeleteOptions body rather than the query.
        var dryRun = IsDryRun(context) || (options["dryRun"] as JsonArray)?.Any(d => (string?)d == "All") == true;
        var deleted = dryRun ? current : store.Delete(type, target.Namespace, target.Name!, orphan);
        // Like the real registries: pods, services and namespaces answer with the object, the rest with a Status.
        var returnsObject = type == ResourceTypes.Pods || type == ResourceTypes.Services || type == ResourceTypes.Namespaces;
        await WriteAsync(context, 200, returnsObject ? deleted : ApiStatus.Success(type, deleted));
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceRequest target)
    {
        var options = await ReadDeleteOptionsAsync(context);
        var orphan = (string?)options["propagationPolicy"] == "Orphan";
        var labels = LabelSelector.Parse(context.Request.Query["labelSelector"]);
        var fields = FieldSelector.Parse(context.Request.Query["fieldSelector"]);
        var deleted = new JsonArray();
        foreach (var obj in store.List(target.Type, target.Namespace).Where(o => labels.Matches(o) && fields.Matches(o)))
        {
            if (IsDryRun(context)) { deleted.Add(obj); continue; }
            try { deleted.Add(store.Delete(target.Type, ClusterStore.Namespace(obj), ClusterStore.Name(obj), orphan)); }
            catch (StoreException e) when (e.Code == 404) { /* already gone through garbage collection */ }
        }
        await WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = target.Type.Kind + "List",
            ["apiVersion"] = target.Type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.ResourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    /// <summary>Read-modify-write of an existing object under the store lock (or computed only, for dryRun=All).</summary>
    private JsonObject Write(HttpContext context, ResourceRequest target, Func<JsonObject, JsonObject> change)
    {
        JsonObject Existing(JsonObject? current) => change(current ?? throw StoreException.NotFound(target.Type, target.Name!));
        return store.Change(target.Type, target.Namespace, target.Name!, Existing, statusOnly: target.Subresource == "status", dryRun: IsDryRun(context))!;
    }

    private JsonObject WithReplicas(JsonObject current, long replicas, string manager)
    {
        var next = current.DeepClone().AsObject();
        if (next["spec"] is not JsonObject spec)
        {
            next["spec"] = spec = new JsonObject();
        }

        spec["replicas"] = replicas;
        FieldOwnership.RecordUpdate(current, next, manager, "apps/v1", "scale", Now());
        return next;
    }

    /// <summary>The autoscaling/v1 Scale view of a deployment or replica set.</summary>
    private static JsonObject Scale(ResourceType type, JsonObject obj)
    {
        var metadata = obj["metadata"]!;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = metadata["name"]?.DeepClone(),
                ["namespace"] = metadata["namespace"]?.DeepClone(),
                ["uid"] = metadata["uid"]?.DeepClone(),
                ["resourceVersion"] = metadata["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = metadata["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = (long?)obj["spec"]?["replicas"] ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = (long?)obj["status"]?["replicas"] ?? 0,
                ["selector"] = obj["spec"]?["selector"] is { } selector ? TableView.Selector(selector) : "",
            },
        };
    }

    private static void CheckKind(ResourceType type, JsonObject body)
    {
        if (body["kind"] is not null && (string?)body["kind"] != type.Kind)
        {
            throw StoreException.BadRequest($"the object provided is unrecognized (must be of type {type.Kind}): {body["kind"]}");
        }

        if (body["apiVersion"] is not null && (string?)body["apiVersion"] != type.ApiVersion)
        {
            throw StoreException.BadRequest($"the API version in the data ({body["apiVersion"]}) does not match the expected API version ({type.ApiVersion})");
        }
    }

    private static JsonObject Metadata(JsonObject body)
    {
        if (body["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = new JsonObject();
        body["metadata"] = metadata;
        return metadata;
    }

    private static void SetNamespace(ResourceType type, ResourceRequest target, JsonObject metadata)
    {
        if (!type.Namespaced)
        {
            return;
        }

        var given = (string?)metadata["namespace"];
        if (!string.IsNullOrEmpty(given) && given != target.Namespace)
        {
            throw StoreException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (target.Namespace is null)
        {
            throw new StoreException(404, "NotFound", "the server could not find the requested resource");
        }

        metadata["namespace"] = target.Namespace;
    }

    private static string FieldManager(HttpContext context)
    {
        if (context.Request.Query["fieldManager"].ToString() is { Length: > 0 } manager)
        {
            return manager;
        }
        // As the real server: the user agent up to its first '/'.
        var agent = context.Request.Headers.UserAgent.ToString();
        var slash = agent.IndexOf('/');
        return (slash > 0 ? agent[..slash] : agent) is { Length: > 0 } prefix ? prefix : "unknown";
    }

    private static bool IsDryRun(HttpContext context) => context.Request.Query["dryRun"].ToString() == "All";

    private static string IncludeObject(HttpContext context) =>
        context.Request.Query["includeObject"].ToString() is { Length: > 0 } include ? include : "Metadata";

    private string Now() => ClusterStore.Timestamp(store.Time.GetUtcNow());

    private static JsonObject ParsePatchObject(string text) =>
        JsonNode.Parse(text) as JsonObject ?? throw StoreException.BadRequest("the patch must be a JSON object");

    private static async Task<string> ReadTextAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        if ((context.Request.ContentType ?? "").Contains("protobuf", StringComparison.OrdinalIgnoreCase))
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            return ProtobufObject.TryDecode(buffer.ToArray()) ?? throw new StoreException(415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the Sandbox reads protobuf only for Namespace, ConfigMap and Secret)");
        }

        var text = await ReadTextAsync(context);
        var contentType = context.Request.ContentType ?? "";
        var obj = contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) ? YamlDocument.ParseObject(text) : JsonNode.Parse(text) as JsonObject;
        return obj ?? throw StoreException.BadRequest("the body must be a JSON object");
    }

    private static async Task<JsonObject> ReadDeleteOptionsAsync(HttpContext context)
    {
        var text = await ReadTextAsync(context);
        var options = text.Trim().Length > 0 ? JsonNode.Parse(text) as JsonObject ?? new JsonObject() : new JsonObject();
        var query = context.Request.Query;
        if (query["propagationPolicy"].ToString() is { Length: > 0 } policy)
        {
            options["propagationPolicy"] = policy;
        }

        if (query["orphanDependents"].ToString() is { Length: > 0 })
        {
            options["orphanDependents"] = context.Request.Flag("orphanDependents");
        }

        return options;
    }

    private static string EncodeContinue(string key, long resourceVersion) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["rv"] = resourceVersion, ["start"] = key }.ToJsonString()));

    private static string DecodeContinue(string token)
    {
        try
        {
            return (string?)JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)))?["start"]
                ?? throw StoreException.BadRequest("invalid continue token");
        }
        catch (FormatException) { throw StoreException.BadRequest("invalid continue token"); }
        catch (JsonException) { throw StoreException.BadRequest("invalid continue token"); }
    }

    private static Task MethodNotAllowed(HttpContext context) =>
        WriteAsync(context, 405, ApiStatus.Failure(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource"));

    public static async Task WriteAsync(HttpContext context, int code, JsonNode body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body, WriterOptions);
        body.WriteTo(writer);
    }

    /// <summary>Escaping as Go's encoder does it (quotes as \", no \u0022), so messages read the same as a real server's.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
