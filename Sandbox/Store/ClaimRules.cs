using System.Text.Json.Nodes;
using Sandbox.Controllers;

namespace Sandbox.Store;

/// <summary>
/// What the API server checks when a PersistentVolumeClaim is written: the DefaultStorageClass admission plugin on
/// create, and on update the claim's validation (a claim's spec is immutable except the storage request of a bound
/// claim, which may never shrink) followed by the PersistentVolumeClaimResize admission plugin (growing needs a class
/// with <c>allowVolumeExpansion: true</c>). Messages are the real server's.
/// </summary>
internal static class ClaimRules
{
    public const string DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";
    private const string Immutable = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

    /// <summary>
    /// The class a new claim without <c>spec.storageClassName</c> gets: the newest StorageClass annotated as default
    /// (as the plugin picks since Kubernetes 1.26), or none. An explicit empty class stays empty.
    /// </summary>
    public static void DefaultClass(JsonObject claim, IEnumerable<JsonObject> storageClasses)
    {
        if (claim["spec"] is not JsonObject spec || spec.ContainsKey("storageClassName"))
        {
            return;
        }

        var defaultClass = storageClasses
            .Where(c => c.Annotation(DefaultClassAnnotation) == "true")
            .OrderByDescending(c => c.CreationTime())
            .ThenBy(c => c.Name(), StringComparer.Ordinal)
            .FirstOrDefault();
        if (defaultClass is not null)
        {
            spec["storageClassName"] = defaultClass.Name();
        }
    }

    /// <summary>Throws 422 Invalid or 403 Forbidden when <paramref name="next"/> may not replace <paramref name="stored"/>.</summary>
    public static void CheckUpdate(JsonObject stored, JsonObject next, Func<string, JsonObject?> storageClass)
    {
        var name = stored.Name();
        var bound = stored.Text("status", "phase") == "Bound";
        var oldSize = Quantity.TryParse(stored.Text("spec", "resources", "requests", "storage"), out var o) ? o : 0;
        var newSize = Quantity.TryParse(next.Text("spec", "resources", "requests", "storage"), out var n) ? n : 0;

        var oldSpec = stored["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        var newSpec = next["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        if (string.IsNullOrEmpty(oldSpec.Text("volumeName")))
        {
            // The volume controller sets volumeName once.
            SetOrRemove(oldSpec, "volumeName", newSpec["volumeName"]);
        }

        var sameSize = oldSize == newSize;
        if (sameSize || bound)
        {
            // Only the value of a quantity counts ("1Gi" and "1024Mi" are equal); a bound claim's request may change.
            SetStorage(newSpec, oldSpec.At("resources", "requests", "storage")?.DeepClone());
        }

        var errors = new List<ObjectValidation.FieldError>();
        if (!JsonNode.DeepEquals(oldSpec, newSpec))
        {
            errors.Add(new("spec", "FieldValueForbidden", $"Forbidden: {Immutable}"));
        }

        if (newSize < oldSize)
        {
            errors.Add(new("spec.resources.requests.storage", "FieldValueForbidden", "Forbidden: field can not be less than previous value"));
        }

        if (errors.Count > 0)
        {
            var why = errors.Count == 1 ? errors[0].ToString() : $"[{string.Join(", ", errors)}]";
            throw new StoreException(422, "Invalid", $"{ResourceTypes.PersistentVolumeClaims.Kind} \"{name}\" is invalid: {why}")
            {
                Details = (name, "", ResourceTypes.PersistentVolumeClaims.Kind),
                Causes = [.. errors.Select(e => (e.Reason, e.Detail, e.Field))],
            };
        }

        if (newSize > oldSize)
        {
            var className = next.Text("spec", "storageClassName");
            var allowed = !string.IsNullOrEmpty(className) && className == stored.Text("spec", "storageClassName")
                && storageClass(className) is { } found && found.Flag("allowVolumeExpansion");
            if (!allowed)
            {
                throw new StoreException(403, "Forbidden",
                    $"persistentvolumeclaims \"{name}\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize")
                {
                    Details = (name, "", ResourceTypes.PersistentVolumeClaims.Plural),
                };
            }
        }
    }

    private static void SetStorage(JsonObject spec, JsonNode? storage)
    {
        if (spec["resources"] is JsonObject resources && resources["requests"] is JsonObject requests)
        {
            SetOrRemove(requests, "storage", storage);
        }
    }

    private static void SetOrRemove(JsonObject obj, string key, JsonNode? value)
    {
        if (value is null)
        {
            obj.Remove(key);
        }
        else
        {
            obj[key] = value.DeepClone();
        }
    }
}
