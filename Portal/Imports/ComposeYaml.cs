using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Portal.Imports;

/// <summary>A YAML node as the import reads it: a scalar, a sequence or a mapping, with the line it starts on.</summary>
public abstract record YamlNode(int Line);

/// <param name="Plain">Written without quotes: only then do <c>null</c>, <c>~</c> and an empty value mean nothing.</param>
public sealed record YamlScalar(string Value, bool Plain, int Line) : YamlNode(Line)
{
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

public sealed record YamlSequence(IReadOnlyList<YamlNode> Items, int Line) : YamlNode(Line);

public sealed record YamlMapping(IReadOnlyList<KeyValuePair<string, YamlNode>> Entries, int Line) : YamlNode(Line)
{
    public YamlNode? this[string key] => Entries.FirstOrDefault(e => e.Key == key).Value;
}

/// <summary>
/// Reads a YAML document into <see cref="YamlNode"/>s through YamlDotNet's parser, with budgets that a hostile file cannot
/// get past: every alias is expanded as a copy and counted, so a "billion laughs" file stops at <see cref="MaxNodes"/>
/// instead of filling memory; nesting stops at <see cref="MaxDepth"/>. Merge keys (<c>&lt;&lt;: *defaults</c>) are applied
/// as Compose files use them.
/// </summary>
public static class ComposeYaml
{
    /// <summary>A compose file of a few dozen services has a few thousand nodes; this leaves ample room.</summary>
    public const int MaxNodes = 20_000;

    public const int MaxDepth = 64;

    /// <summary>The document, or a message that says what is wrong and on which line.</summary>
    public static (YamlNode? Document, string? Error) Load(string text)
    {
        try
        {
            var reader = new Reader(new Parser(new StringReader(text)));
            return (reader.ReadStream(), null);
        }
        catch (YamlBudgetException e)
        {
            return (null, e.Message);
        }
        catch (YamlException e)
        {
            return (null, $"The file is not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {e.Message}");
        }
    }

    private sealed class YamlBudgetException(string message) : Exception(message);

    private sealed class Reader(IParser parser)
    {
        private readonly Dictionary<string, YamlNode> anchors = new(StringComparer.Ordinal);
        private int nodes;

        public YamlNode? ReadStream()
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
            {
                return null;
            }

            parser.Consume<DocumentStart>();
            var document = Read(0);
            parser.Consume<DocumentEnd>();
            if (!parser.TryConsume<StreamEnd>(out _))
            {
                throw new YamlBudgetException("The file holds more than one YAML document; a compose file is one document.");
            }

            return document;
        }

        private YamlNode Read(int depth)
        {
            if (depth > MaxDepth)
            {
                throw new YamlBudgetException($"The file nests deeper than {MaxDepth} levels: refused.");
            }

            var line = (int)parser.Current!.Start.Line;
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlBudgetException($"Line {line}: the alias *{alias.Value.Value} names no anchor.");
                }

                // A copy of the anchored node counts every node it holds: this is what stops an alias bomb.
                Count(Size(target), line);
                return target;
            }

            YamlNode node;
            string anchor;
            if (parser.TryConsume<Scalar>(out var scalar))
            {
                Count(1, line);
                node = new YamlScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, line);
                anchor = scalar.Anchor.IsEmpty ? "" : scalar.Anchor.Value;
            }
            else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                Count(1, line);
                var items = new List<YamlNode>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    items.Add(Read(depth + 1));
                }

                node = new YamlSequence(items, line);
                anchor = sequenceStart.Anchor.IsEmpty ? "" : sequenceStart.Anchor.Value;
            }
            else if (parser.TryConsume<MappingStart>(out var mappingStart))
            {
                Count(1, line);
                node = ReadMapping(depth, line);
                anchor = mappingStart.Anchor.IsEmpty ? "" : mappingStart.Anchor.Value;
            }
            else
            {
                throw new YamlBudgetException($"Line {line}: unexpected YAML.");
            }

            if (anchor.Length > 0)
            {
                anchors[anchor] = node;
            }

            return node;
        }

        private YamlMapping ReadMapping(int depth, int line)
        {
            var entries = new List<KeyValuePair<string, YamlNode>>();
            var merged = new List<KeyValuePair<string, YamlNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyLine = (int)parser.Current!.Start.Line;
                if (Read(depth + 1) is not YamlScalar { } key)
                {
                    throw new YamlBudgetException($"Line {keyLine}: a mapping key must be a plain value, not a list or a mapping.");
                }

                var value = Read(depth + 1);
                if (key.Value == "<<" && key.Plain)
                {
                    var sources = value is YamlSequence sequence ? sequence.Items : [value];
                    foreach (var source in sources)
                    {
                        if (source is not YamlMapping mapping)
                        {
                            throw new YamlBudgetException($"Line {keyLine}: a merge key (<<) takes a mapping or a list of mappings.");
                        }

                        merged.AddRange(mapping.Entries.Where(e => merged.All(m => m.Key != e.Key)));
                    }

                    continue;
                }

                if (entries.Any(e => e.Key == key.Value))
                {
                    throw new YamlBudgetException($"Line {keyLine}: the key '{Shorten(key.Value)}' appears twice in one mapping.");
                }

                entries.Add(new(key.Value, value));
            }

            // Keys written in the mapping win over merged ones, as YAML's merge key says.
            entries.AddRange(merged.Where(m => entries.All(e => e.Key != m.Key)));
            return new YamlMapping(entries, line);
        }

        private void Count(long added, int line)
        {
            if (nodes + added > MaxNodes)
            {
                throw new YamlBudgetException(
                    $"Line {line}: the file expands to more than {MaxNodes.ToString("N0", CultureInfo.InvariantCulture)} YAML nodes (through anchors and aliases): refused as a possible alias bomb.");
            }

            nodes += (int)added;
        }

        private static long Size(YamlNode node) => node switch
        {
            YamlSequence sequence => 1 + sequence.Items.Sum(Size),
            YamlMapping mapping => 1 + mapping.Entries.Sum(e => 1 + Size(e.Value)),
            _ => 1,
        };
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
