using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Cluster;

/// <summary>
/// Object text for the review diff: a YAML rendering with sorted keys (as <c>kubectl diff</c> prints, so the same object
/// always reads the same), and a unified line diff of two renderings.
/// </summary>
public static class LiveDiffText
{
    private static readonly JsonSerializerOptions Quoted = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Yaml(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node, 0, inList: false);
        return text.ToString();
    }

    /// <summary>A unified diff (three lines of context) of <paramref name="before"/> and <paramref name="after"/>; empty when equal.</summary>
    public static string Unified(string before, string after, string beforeName, string afterName)
    {
        var a = Lines(before);
        var b = Lines(after);
        var ops = Diff(a, b);
        if (ops.All(o => o.Kind == ' '))
        {
            return "";
        }

        const int context = 3;
        var text = new StringBuilder().Append("--- ").Append(beforeName).Append('\n').Append("+++ ").Append(afterName).Append('\n');
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == ' ')
            {
                i++;
                continue;
            }

            var start = Math.Max(0, i - context);
            var end = i;
            // Extend the hunk while the next change is within two contexts.
            while (end < ops.Count)
            {
                var next = ops.FindIndex(end, o => o.Kind != ' ');
                if (next < 0 || next - end > 2 * context)
                {
                    break;
                }

                end = ops.FindIndex(next, o => o.Kind == ' ');
                if (end < 0)
                {
                    end = ops.Count;
                }
            }

            end = Math.Min(ops.Count, end + context);
            var hunk = ops.GetRange(start, end - start);
            var oldStart = ops.Take(start).Count(o => o.Kind != '+') + 1;
            var newStart = ops.Take(start).Count(o => o.Kind != '-') + 1;
            text.Append(CultureInfo.InvariantCulture, $"@@ -{oldStart},{hunk.Count(o => o.Kind != '+')} +{newStart},{hunk.Count(o => o.Kind != '-')} @@\n");
            foreach (var op in hunk)
            {
                text.Append(op.Kind).Append(op.Line).Append('\n');
            }

            i = end;
        }

        return text.ToString();
    }

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');

    private static List<(char Kind, string Line)> Diff(string[] a, string[] b)
    {
        // Longest common subsequence by dynamic programming: objects are a few hundred lines at most.
        var lengths = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lengths[i, j] = a[i] == b[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        var ops = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                ops.Add((' ', a[x]));
                x++;
                y++;
            }
            else if (lengths[x + 1, y] >= lengths[x, y + 1])
            {
                ops.Add(('-', a[x++]));
            }
            else
            {
                ops.Add(('+', b[y++]));
            }
        }

        while (x < a.Length)
        {
            ops.Add(('-', a[x++]));
        }

        while (y < b.Length)
        {
            ops.Add(('+', b[y++]));
        }

        return ops;
    }

    private static void Write(StringBuilder text, JsonNode? node, int indent, bool inList)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!(first && inList))
                    {
                        text.Append(' ', indent);
                    }

                    first = false;
                    text.Append(Scalar(key)).Append(':');
                    WriteValue(text, value, indent + 2);
                }

                break;
            case JsonArray list when list.Count > 0:
                foreach (var item in list)
                {
                    text.Append(' ', indent).Append("- ");
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        Write(text, item, indent + 2, inList: true);
                    }
                    else
                    {
                        text.Append(Inline(item)).Append('\n');
                    }
                }

                break;
            default:
                text.Append(' ', indent).Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteValue(StringBuilder text, JsonNode? value, int indent)
    {
        if (value is JsonObject { Count: > 0 })
        {
            text.Append('\n');
            Write(text, value, indent, inList: false);
        }
        else if (value is JsonArray { Count: > 0 })
        {
            text.Append('\n');
            Write(text, value, indent - 2, inList: false);
        }
        else
        {
            text.Append(' ').Append(Inline(value)).Append('\n');
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => Scalar(value.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    /// <summary>Plain when YAML reads it back as the same string, else double-quoted as JSON (which YAML accepts).</summary>
    private static string Scalar(string text)
    {
        var plain = text.Length > 0
            && !text.Any(c => char.IsControl(c) || c is ':' or '#' or '"' or '\'' or '{' or '}' or '[' or ']' or ',' or '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`')
            && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1]) && text[0] is not ('-' or '?' or '.' or '+') && !char.IsAsciiDigit(text[0])
            && text.ToLowerInvariant() is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off" or "~" or "y" or "n");
        return plain ? text : JsonSerializer.Serialize(text, Quoted);
    }
}
