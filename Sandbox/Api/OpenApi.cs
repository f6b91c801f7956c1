using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>
/// Just enough OpenAPI v3 for kubectl's apply: per group-version, the PATCH operations of each kind, marked with
/// <c>x-kubernetes-group-version-kind</c> and the <c>fieldValidation</c> query parameter. kubectl then leaves validation to
/// the server (which accepts the parameter) instead of downloading schemas, and, finding no strategic-merge content type
/// listed, computes client-side apply patches from its own compiled-in types, which know every patch merge key.
/// No /openapi/v2: kubectl 1.32 does not need it once v3 answers.
/// </summary>
internal static class OpenApi
{
    public static Task WriteV2Async(HttpContext context) => ApiEndpoints.NotFound(context);

    public static Task WriteV3IndexAsync(HttpContext context)
    {
        var paths = new JsonObject();
        foreach (var (group, version) in GroupVersions())
        {
            var path = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={Hash(path)}" };
        }
        return ResourceApi.WriteAsync(context, 200, new JsonObject { ["paths"] = paths });
    }

    public static Task WriteV3Async(HttpContext context, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        (string Group, string Version)? gv = parts switch
        {
            ["api", var v] => ("", v),
            ["apis", var g, var v] => (g, v),
            _ => null,
        };
        var types = gv is { } x ? ResourceTypes.All.Where(t => t.Group == x.Group && t.Version == x.Version).ToList() : [];
        if (types.Count == 0)
        {
            return ApiEndpoints.NotFound(context);
        }

        var operations = new JsonObject();
        foreach (var type in types)
        {
            var prefix = type.Group.Length == 0 ? $"/api/{type.Version}" : $"/apis/{type.Group}/{type.Version}";
            var item = type.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{type.Plural}/{{name}}" : $"{prefix}/{type.Plural}/{{name}}";
            var collection = type.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{type.Plural}" : $"{prefix}/{type.Plural}";
            operations[item] = new JsonObject
            {
                ["patch"] = Operation(type, "patch", ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]),
                ["put"] = Operation(type, "replace", ["application/json"]),
            };
            operations[collection] = new JsonObject { ["post"] = Operation(type, "create", ["application/json"]) };
        }
        return ResourceApi.WriteAsync(context, 200, new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = operations,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        });
    }

    private static JsonObject Operation(ResourceType type, string verb, string[] contentTypes) => new()
    {
        ["operationId"] = $"{verb}{type.Kind}",
        ["parameters"] = new JsonArray(
            Parameter("fieldValidation"), Parameter("fieldManager"), Parameter("dryRun"), Parameter("force")),
        ["requestBody"] = new JsonObject
        {
            ["content"] = new JsonObject(contentTypes.Select(c => KeyValuePair.Create(c, (JsonNode?)new JsonObject
            {
                ["schema"] = new JsonObject { ["type"] = "object" },
            }))),
            ["required"] = true,
        },
        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
        ["x-kubernetes-action"] = verb == "replace" ? "put" : verb == "create" ? "post" : verb,
        ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind },
    };

    private static JsonObject Parameter(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static IEnumerable<(string Group, string Version)> GroupVersions() => ResourceTypes.All.Select(t => (t.Group, t.Version)).Distinct();

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("sandbox-1:" + path)))[..16];
}
