using System.Text.Json.Nodes;

namespace Sandbox.Controllers;

/// <summary>A metav1.LabelSelector (matchLabels and matchExpressions), as Deployments and ReplicaSets select pods.</summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> requirements = [];

    private LabelSelector() { }

    /// <summary>True when the selector has no requirement: Kubernetes reads that as "everything".</summary>
    public bool IsEmpty => requirements.Count == 0;

    public static LabelSelector From(JsonNode? selector)
    {
        var result = new LabelSelector();
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            result.requirements.Add(labels => labels.TryGetValue(key, out var actual) && actual == value);
        }

        foreach (var expression in selector.Objects("matchExpressions"))
        {
            var key = expression.Text("key") ?? "";
            var values = (expression["values"] as JsonArray ?? []).Select(v => v.Text() ?? "").ToHashSet(StringComparer.Ordinal);
            Func<IReadOnlyDictionary<string, string>, bool> requirement = expression.Text("operator") switch
            {
                "In" => labels => labels.TryGetValue(key, out var actual) && values.Contains(actual),
                "NotIn" => labels => !labels.TryGetValue(key, out var actual) || !values.Contains(actual),
                "Exists" => labels => labels.ContainsKey(key),
                "DoesNotExist" => labels => !labels.ContainsKey(key),
                // An operator the API would have refused: select nothing rather than everything.
                _ => _ => false,
            };
            result.requirements.Add(requirement);
        }
        return result;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => requirements.All(r => r(labels));
}
