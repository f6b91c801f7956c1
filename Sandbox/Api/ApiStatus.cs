using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>Kubernetes <c>Status</c> objects: the body of every error and of some deletions.</summary>
internal static class ApiStatus
{
    public static JsonObject Failure(StoreException e)
    {
        var status = Failure(e.Code, e.Reason, e.Message);
        var (name, group, kind) = e.Details;
        if (name is not null || kind is not null || e.Causes.Count > 0)
        {
            var details = new JsonObject();
            if (name is not null)
            {
                details["name"] = name;
            }

            if (group is { Length: > 0 })
            {
                details["group"] = group;
            }

            if (kind is not null)
            {
                details["kind"] = kind;
            }

            if (e.Causes.Count > 0)
            {
                details["causes"] = new JsonArray([.. e.Causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason, ["message"] = c.Message, ["field"] = c.Field,
                })]);
            }

            status["details"] = details;
        }
        return status;
    }

    public static JsonObject Failure(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    public static JsonObject Success(ResourceType type, JsonObject deleted) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject
        {
            ["name"] = (string?)deleted["metadata"]?["name"],
            ["group"] = type.Group,
            ["kind"] = type.Plural,
            ["uid"] = (string?)deleted["metadata"]?["uid"],
        },
    };
}
