using System.Text.Json.Nodes;

namespace Sandbox.Patching;

/// <summary>RFC 7386 JSON Merge Patch (<c>application/merge-patch+json</c>): objects merge, null deletes, lists are replaced.</summary>
internal static class MergePatch
{
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        Merge(result, patch);
        return result;
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else if (value is JsonObject fresh)
            {
                var created = new JsonObject();
                Merge(created, fresh);
                target[key] = created;
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
