using System.Text.Json.Nodes;
using Sandbox.Controllers;

namespace Sandbox.Tests.Controllers;

/// <summary>The Deployment controller's memo of ReplicaSet templates answers as computing them afresh would.</summary>
public sealed class CanonicalTemplatesTests
{
    [Fact]
    public void ANewVersionOfAReplicaSetIsReadAgainAndTheSameVersionIsNot()
    {
        var templates = new CanonicalTemplates();
        var first = ReplicaSet("uid-1", "10", "app:v1");
        Assert.Equal(PodTemplateHash.Canonical(first["spec"]!["template"]), templates.Of(first));

        // The same version read again (a fresh copy from the store) gives what was computed, even if the copy differed.
        var sameVersion = ReplicaSet("uid-1", "10", "app:changed-without-a-new-version");
        Assert.Equal(PodTemplateHash.Canonical(first["spec"]!["template"]), templates.Of(sameVersion));

        // Edited (kubectl edit rs): a new resourceVersion, and its new template counts.
        var edited = ReplicaSet("uid-1", "11", "app:v2");
        Assert.Equal(PodTemplateHash.Canonical(edited["spec"]!["template"]), templates.Of(edited));
        Assert.NotEqual(templates.Of(first), templates.Of(edited));
    }

    [Fact]
    public void ItKeepsAtMostItsLimit()
    {
        var templates = new CanonicalTemplates();
        for (var i = 0; i < (CanonicalTemplates.Limit * 2) + 10; i++)
        {
            templates.Of(ReplicaSet($"uid-{i}", "1", $"app:v{i}"));
        }

        Assert.InRange(templates.Count, 1, CanonicalTemplates.Limit);
    }

    private static JsonObject ReplicaSet(string uid, string resourceVersion, string image) => new()
    {
        ["metadata"] = new JsonObject { ["uid"] = uid, ["resourceVersion"] = resourceVersion, ["name"] = "web-" + uid },
        ["spec"] = new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web", [PodTemplateHash.LabelKey] = "abc" } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }) },
            },
        },
    };
}
