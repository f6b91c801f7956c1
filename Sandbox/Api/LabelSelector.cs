using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>
/// A parsed <c>labelSelector</c> query: comma-separated requirements of the forms
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c> and <c>!k</c>.
/// </summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> requirements;

    private LabelSelector(List<Requirement> requirements) => this.requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            var term = part.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            requirements.Add(ParseRequirement(term, text));
        }
        return new LabelSelector(requirements);
    }

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        foreach (var r in this.requirements)
        {
            var has = labels is not null && labels.ContainsKey(r.Key);
            var value = has ? labels![r.Key]?.ToString() : null;
            var ok = r.Op switch
            {
                Op.Equals or Op.In => has && r.Values.Contains(value),
                Op.NotEquals or Op.NotIn => !has || !r.Values.Contains(value),
                Op.Exists => has,
                _ => !has,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private static Requirement ParseRequirement(string term, string whole)
    {
        if (term.StartsWith('!'))
        {
            return new(Key(term[1..], whole), Op.DoesNotExist, []);
        }

        var notin = IndexOfWord(term, "notin");
        if (notin > 0)
        {
            return new(Key(term[..notin], whole), Op.NotIn, Set(term[(notin + 5)..], whole));
        }

        var @in = IndexOfWord(term, "in");
        if (@in > 0)
        {
            return new(Key(term[..@in], whole), Op.In, Set(term[(@in + 2)..], whole));
        }

        var ne = term.IndexOf("!=", StringComparison.Ordinal);
        if (ne > 0)
        {
            return new(Key(term[..ne], whole), Op.NotEquals, [term[(ne + 2)..].Trim()]);
        }

        var eq = term.IndexOf("==", StringComparison.Ordinal);
        if (eq > 0)
        {
            return new(Key(term[..eq], whole), Op.Equals, [term[(eq + 2)..].Trim()]);
        }

        var single = term.IndexOf('=');
        if (single > 0)
        {
            return new(Key(term[..single], whole), Op.Equals, [term[(single + 1)..].Trim()]);
        }

        return new(Key(term, whole), Op.Exists, []);
    }

    private static int IndexOfWord(string term, string word)
    {
        // "k in (a)" needs whitespace before the operator and a parenthesis after it.
        for (var i = term.IndexOf(' '); i >= 0 && i < term.Length; i = term.IndexOf(' ', i + 1))
        {
            var rest = term[i..].TrimStart();
            if (rest.StartsWith(word, StringComparison.Ordinal) && rest[word.Length..].TrimStart().StartsWith('('))
            {
                return i + (term[i..].Length - rest.Length);
            }

            if (i + 1 >= term.Length)
            {
                break;
            }
        }
        return -1;
    }

    private static string Key(string key, string whole)
    {
        key = key.Trim();
        if (key.Length == 0 || key.Any(char.IsWhiteSpace))
        {
            throw StoreException.BadRequest($"unable to parse requirement: found '{key}' in label selector \"{whole}\"");
        }

        return key;
    }

    private static List<string> Set(string text, string whole)
    {
        text = text.Trim();
        if (!text.StartsWith('(') || !text.EndsWith(')'))
        {
            throw StoreException.BadRequest($"unable to parse requirement: expected a set of values in label selector \"{whole}\"");
        }

        return [.. text[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0)];
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }
}

/// <summary>
/// A parsed <c>fieldSelector</c> query: <c>path=value</c>, <c>path==value</c> and <c>path!=value</c> joined by commas,
/// where the path is any dotted field path (metadata.name, involvedObject.uid, spec.nodeName, status.phase...).
/// A missing field compares as the empty string, so <c>spec.nodeName=</c> finds unscheduled pods as on a real server.
/// </summary>
internal sealed class FieldSelector
{
    private readonly List<(string[] Path, bool Equal, string Value)> terms;

    private FieldSelector(List<(string[] Path, bool Equal, string Value)> terms) => this.terms = terms;

    public static readonly FieldSelector Everything = new([]);

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string[], bool, string)>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            var ne = term.IndexOf("!=", StringComparison.Ordinal);
            var eq = term.IndexOf('=');
            if (ne > 0)
            {
                terms.Add((term[..ne].Trim().Split('.'), false, term[(ne + 2)..].Trim()));
            }
            else if (eq > 0)
            {
                terms.Add((term[..eq].Trim().Split('.'), true, term[(eq + 1)..].TrimStart('=').Trim()));
            }
            else
            {
                throw StoreException.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            }
        }
        return new FieldSelector(terms);
    }

    /// <summary>The single name this selector pins down with metadata.name=..., if any.</summary>
    public string? Name => this.terms.FirstOrDefault(t => t.Equal && t.Path is ["metadata", "name"]).Value;

    public bool Matches(JsonObject obj)
    {
        foreach (var (path, equal, value) in this.terms)
        {
            JsonNode? node = obj;
            foreach (var part in path)
            {
                node = node is JsonObject o ? o[part] : null;
            }

            var actual = node switch
            {
                null => "",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                _ => node.ToJsonString(),
            };
            if ((actual == value) != equal)
            {
                return false;
            }
        }
        return true;
    }
}
