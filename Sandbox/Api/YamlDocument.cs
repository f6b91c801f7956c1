using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Api;

/// <summary>Reads an apply body, which may be YAML or JSON (JSON being YAML), into JSON with YAML 1.2 core-schema scalars.</summary>
internal static class YamlDocument
{
    public static JsonObject ParseObject(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            return JsonNode.Parse(text) as JsonObject ?? throw StoreException.BadRequest("the body must be an object");
        }

        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw StoreException.BadRequest($"error decoding YAML: {e.Message}"); }
        if (stream.Documents.Count == 0)
        {
            throw StoreException.BadRequest("the body is empty");
        }

        return Convert(stream.Documents[0].RootNode) as JsonObject ?? throw StoreException.BadRequest("the body must be an object");
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p =>
            KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? "", Convert(p.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        if (scalar.Tag == "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (value.StartsWith("0x", StringComparison.Ordinal)
            && long.TryParse(value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (value.Any(char.IsDigit) && !value.Contains('_')
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
            && (char.IsDigit(value[0]) || value[0] is '-' or '+' or '.'))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(value);
    }
}
