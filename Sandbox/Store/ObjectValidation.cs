using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sandbox.Store;

/// <summary>
/// The checks an API server makes on every write that a portal bug could trip: object names by kind, label and
/// annotation keys and values, ConfigMap and Secret keys, env var names. Mirrors
/// k8s.io/apimachinery/pkg/util/validation (its patterns, limits and messages). Go's <c>^...$</c> match the whole
/// string; here that is <c>\A...\z</c>, since .NET's <c>$</c> also matches before a trailing newline.
/// </summary>
internal static partial class ObjectValidation
{
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string EnvVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";
    private const string ConfigMapKeyFmt = "[-._a-zA-Z0-9]+";

    [GeneratedRegex(@"\A" + Dns1123LabelFmt + @"\z")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"\A" + Dns1123SubdomainFmt + @"\z")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"\A" + Dns1035LabelFmt + @"\z")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex(@"\A" + QualifiedNameFmt + @"\z")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"\A" + LabelValueFmt + @"\z")]
    private static partial Regex LabelValue();

    [GeneratedRegex(@"\A" + EnvVarNameFmt + @"\z")]
    private static partial Regex EnvVarName();

    [GeneratedRegex(@"\A" + ConfigMapKeyFmt + @"\z")]
    private static partial Regex ConfigMapKey();

    /// <summary>One field error, as apimachinery's field.Error renders it.</summary>
    public sealed record FieldError(string Field, string Reason, string Detail)
    {
        public override string ToString() => $"{Field}: {Detail}";
    }

    /// <summary>Throws 422 Invalid listing every field error of <paramref name="obj"/>, as the API server answers.</summary>
    public static void Validate(ResourceType type, JsonObject obj, bool creating)
    {
        var errors = new List<FieldError>();
        var metadata = obj["metadata"] as JsonObject;
        var name = (string?)metadata?["name"] ?? "";
        if (creating)
        {
            foreach (var message in NameErrors(type, name))
            {
                errors.Add(Invalid("metadata.name", name, message));
            }
        }

        Labels(metadata?["labels"], "metadata.labels", errors);
        Annotations(metadata?["annotations"], "metadata.annotations", errors);
        if (type == ResourceTypes.ConfigMaps)
        {
            Keys(obj["data"], "data", errors);
            Keys(obj["binaryData"], "binaryData", errors);
        }
        else if (type == ResourceTypes.Secrets)
        {
            Keys(obj["data"], "data", errors);
            Keys(obj["stringData"], "stringData", errors);
        }
        else if (type == ResourceTypes.Pods)
        {
            PodSpec(obj["spec"], "spec", errors);
        }
        else if (type == ResourceTypes.Deployments || type == ResourceTypes.ReplicaSets)
        {
            var template = obj["spec"]?["template"];
            Labels(obj["spec"]?["selector"]?["matchLabels"], "spec.selector.matchLabels", errors);
            Labels(template?["metadata"]?["labels"], "spec.template.metadata.labels", errors);
            Annotations(template?["metadata"]?["annotations"], "spec.template.metadata.annotations", errors);
            PodSpec(template?["spec"], "spec.template.spec", errors);
        }

        if (errors.Count > 0)
        {
            var why = errors.Count == 1 ? errors[0].ToString() : $"[{string.Join(", ", errors)}]";
            throw new StoreException(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {why}")
            {
                Details = (name, type.Group, type.Kind),
                Causes = [.. errors.Select(e => (e.Reason, e.Detail, e.Field))],
            };
        }
    }

    /// <summary>What a real API server requires of metadata.name for each kind.</summary>
    public static IReadOnlyList<string> NameErrors(ResourceType type, string name)
    {
        if (type == ResourceTypes.Namespaces)
        {
            return IsDns1123Label(name);
        }

        if (type == ResourceTypes.Services)
        {
            return IsDns1035Label(name);
        }

        if (type.Group == "rbac.authorization.k8s.io")
        {
            return IsPathSegmentName(name);
        }

        return IsDns1123Subdomain(name);
    }

    public static List<string> IsDns1123Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add(MaxLength(63));
        }

        if (!Dns1123Label().IsMatch(value))
        {
            errors.Add(RegexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", Dns1123LabelFmt, "my-name", "123-abc"));
        }

        return errors;
    }

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (value.Length > 253)
        {
            errors.Add(MaxLength(253));
        }

        if (!Dns1123Subdomain().IsMatch(value))
        {
            errors.Add(RegexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", Dns1123SubdomainFmt, "example.com"));
        }

        return errors;
    }

    public static List<string> IsDns1035Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add(MaxLength(63));
        }

        if (!Dns1035Label().IsMatch(value))
        {
            errors.Add(RegexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", Dns1035LabelFmt, "my-name", "abc-123"));
        }

        return errors;
    }

    public static List<string> IsQualifiedName(string value)
    {
        const string message = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(IsDns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                errors.Add("a qualified name " + RegexError(message, QualifiedNameFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }
        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (name.Length > 63)
        {
            errors.Add("name part " + MaxLength(63));
        }

        if (!QualifiedName().IsMatch(name))
        {
            errors.Add("name part " + RegexError(message, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    public static List<string> IsValidLabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add(MaxLength(63));
        }

        if (!LabelValue().IsMatch(value))
        {
            errors.Add(RegexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", LabelValueFmt, "MyValue", "my_value", "12345"));
        }

        return errors;
    }

    public static List<string> IsEnvVarName(string value)
    {
        var errors = new List<string>();
        if (!EnvVarName().IsMatch(value))
        {
            errors.Add(RegexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", EnvVarNameFmt, "my.env-name", "MY_ENV.NAME", "MyEnvName1"));
        }

        errors.AddRange(ChangeDirectoryPrefix(value));
        return errors;
    }

    public static List<string> IsConfigMapKey(string value)
    {
        var errors = new List<string>();
        if (value.Length > 253)
        {
            errors.Add(MaxLength(253));
        }

        if (!ConfigMapKey().IsMatch(value))
        {
            errors.Add(RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", ConfigMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
        }

        errors.AddRange(ChangeDirectoryPrefix(value));
        return errors;
    }

    /// <summary>path.IsValidPathSegmentName: what RBAC object names must be.</summary>
    public static List<string> IsPathSegmentName(string value)
    {
        var errors = new List<string>();
        if (value is "." or "..")
        {
            errors.Add($"may not be '{value}'");
        }

        foreach (var illegal in new[] { "/", "%" })
        {
            if (value.Contains(illegal, StringComparison.Ordinal))
            {
                errors.Add($"may not contain '{illegal}'");
            }
        }

        return errors;
    }

    private static void Labels(JsonNode? labels, string path, List<FieldError> errors)
    {
        if (labels is not JsonObject map)
        {
            return;
        }

        foreach (var (key, value) in map)
        {
            foreach (var message in IsQualifiedName(key))
            {
                errors.Add(Invalid(path, key, message));
            }

            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
            foreach (var message in IsValidLabelValue(text))
            {
                errors.Add(Invalid($"{path}", text, message));
            }
        }
    }

    private static void Annotations(JsonNode? annotations, string path, List<FieldError> errors)
    {
        if (annotations is not JsonObject map)
        {
            return;
        }

        foreach (var (key, _) in map)
        {
            foreach (var message in IsQualifiedName(key.ToLowerInvariant()))
            {
                errors.Add(Invalid(path, key, message));
            }
        }
    }

    private static void Keys(JsonNode? data, string path, List<FieldError> errors)
    {
        if (data is not JsonObject map)
        {
            return;
        }

        foreach (var (key, _) in map)
        {
            foreach (var message in IsConfigMapKey(key))
            {
                errors.Add(Invalid($"{path}[{key}]", key, message));
            }
        }
    }

    private static void PodSpec(JsonNode? spec, string path, List<FieldError> errors)
    {
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec?[list] is not JsonArray containers)
            {
                continue;
            }

            for (var i = 0; i < containers.Count; i++)
            {
                if (containers[i]?["env"] is not JsonArray env)
                {
                    continue;
                }

                for (var j = 0; j < env.Count; j++)
                {
                    var name = (string?)env[j]?["name"] ?? "";
                    var field = $"{path}.{list}[{i}].env[{j}].name";
                    if (name.Length == 0)
                    {
                        errors.Add(new FieldError(field, "FieldValueRequired", "Required value"));
                        continue;
                    }

                    foreach (var message in IsEnvVarName(name))
                    {
                        errors.Add(Invalid(field, name, message));
                    }
                }
            }
        }
    }

    private static FieldError Invalid(string field, string value, string message) =>
        new(field, "FieldValueInvalid", $"Invalid value: {GoQuote(value)}: {message}");

    private static IEnumerable<string> ChangeDirectoryPrefix(string value)
    {
        if (value == ".")
        {
            yield return "must not be '.'";
        }
        else if (value == "..")
        {
            yield return "must not be '..'";
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }

    private static string MaxLength(int length) => $"must be no more than {length} characters";

    private static string RegexError(string message, string format, params string[] examples) =>
        // Exactly Go's RegexError, whose examples read "'a',  or 'b', " (two spaces).
        $"{message} (e.g. {string.Join(" or ", examples.Select(e => $"'{e}', "))}regex used for validation is '{format}')";

    /// <summary>The value as Go's %q shows it, cut short so a megabyte of input does not come back in the error.</summary>
    private static string GoQuote(string value)
    {
        const int shown = 100;
        var text = value.Length > shown ? value[..shown] : value;
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        quoted.Append('"');
        if (value.Length > shown)
        {
            quoted.Append($"...(truncated, {value.Length} characters)");
        }

        return quoted.ToString();
    }
}
