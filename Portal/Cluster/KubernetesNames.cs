using System.Text.RegularExpressions;

namespace Portal.Cluster;

/// <summary>
/// The name grammars the Kubernetes API server (k8s.io/apimachinery/pkg/util/validation) and OCI registries enforce,
/// checked before anything is stored. Every pattern is matched against the whole value (<c>\A...\z</c>): a trailing
/// newline is not a valid character. Each check returns null when the value is valid, else a message naming
/// <c>what</c>.
/// </summary>
public static partial class KubernetesNames
{
    public const int LabelMaxLength = 63;
    public const int SubdomainMaxLength = 253;
    public const int ConfigMapKeyMaxLength = 253;
    public const int ImageRepositoryMaxLength = 255;
    public const int ImageTagMaxLength = 128;

    [GeneratedRegex(@"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"\A[a-z]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex(@"\A\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex WildcardDns1123Subdomain();

    [GeneratedRegex(@"\A(0|[1-9][0-9]{0,8})%?\z")]
    private static partial Regex IntOrPercentGrammar();

    // The characters an Exact or Prefix Ingress path may hold (ingress-nginx and the API server's path validation).
    [GeneratedRegex(@"\A/[A-Za-z0-9/\-._~%!$&'()*+,;=:@]*\z")]
    private static partial Regex IngressPathGrammar();

    [GeneratedRegex(@"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\z")]
    private static partial Regex LabelValueGrammar();

    [GeneratedRegex(@"\A[-._a-zA-Z0-9]+\z")]
    private static partial Regex ConfigMapKeyGrammar();

    [GeneratedRegex(@"\A[-._a-zA-Z][-._a-zA-Z0-9]*\z")]
    private static partial Regex EnvVarNameGrammar();

    [GeneratedRegex(@"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex ImageTagGrammar();

    [GeneratedRegex(@"\Asha256:[0-9a-f]{64}\z")]
    private static partial Regex ImageDigestGrammar();

    // OCI distribution reference grammar, repository part only: [host[:port]/]path-component(/path-component)*
    [GeneratedRegex(@"\A(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\z")]
    private static partial Regex ImageRepositoryGrammar();

    /// <summary>IsDNS1123Label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63.</summary>
    public static string? ValidateLabel(string? value, string what)
    {
        if (Required(value, what) is { } missing)
        {
            return missing;
        }

        return TooLong(value!, LabelMaxLength, what) ?? (Dns1123Label().IsMatch(value!)
            ? null
            : $"{what} must be lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. 'payments-api').");
    }

    /// <summary>IsDNS1123Subdomain: DNS-1123 labels joined by '.', at most 253 characters.</summary>
    public static string? ValidateSubdomain(string? value, string what)
    {
        if (Required(value, what) is { } missing)
        {
            return missing;
        }

        return TooLong(value!, SubdomainMaxLength, what) ?? (Dns1123Subdomain().IsMatch(value!)
            ? null
            : $"{what} must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'example.com').");
    }

    /// <summary>
    /// An Ingress rule's host as the API server checks it: not an IP address; a DNS-1123 subdomain, or with a '*' a
    /// wildcard subdomain ('*.' and a DNS-1123 subdomain, IsWildcardDNS1123Subdomain), at most 253 characters.
    /// </summary>
    public static string? ValidateIngressHost(string? value)
    {
        if (Required(value, "host") is { } missing)
        {
            return missing;
        }

        if (IsIPv4(value!))
        {
            return "The host must be a DNS name, not an IP address.";
        }

        if (value!.Contains('*'))
        {
            return TooLong(value, SubdomainMaxLength, "host") ?? (WildcardDns1123Subdomain().IsMatch(value)
                ? null
                : "A wildcard host is '*.' followed by a DNS name (e.g. '*.example.com'); '*' stands only for the whole first label.");
        }

        return TooLong(value, SubdomainMaxLength, "host") ?? (Dns1123Subdomain().IsMatch(value)
            ? null
            : "The host must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'shop.example.com').");
    }

    /// <summary>An Ingress path: absolute; for Exact and Prefix also free of '//', '/./', '/../', encoded slashes and odd characters.</summary>
    public static string? ValidateIngressPath(string? value, bool strict)
    {
        if (string.IsNullOrEmpty(value) || !value.StartsWith('/'))
        {
            return "The path must start with '/' (e.g. / or /api).";
        }

        if (value.Length > 1024)
        {
            return "The path must be at most 1024 characters.";
        }

        if (value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "The path must not contain spaces or control characters.";
        }

        if (!strict)
        {
            return null;
        }

        if (new[] { "//", "/./", "/../", "%2f", "%2F" }.Any(value.Contains) || value.EndsWith("/..", StringComparison.Ordinal) || value.EndsWith("/.", StringComparison.Ordinal))
        {
            return "The path must not contain '//', '/./', '/../' or an encoded '/', nor end with '/.' or '/..'.";
        }

        return IngressPathGrammar().IsMatch(value) ? null : "The path may hold letters, digits and - . _ ~ % ! $ & ' ( ) * + , ; = : @ / only.";
    }

    /// <summary>
    /// An IntOrString count of pods as Deployments and PodDisruptionBudgets take it: a whole number ("1") or a percent
    /// ("25%", at most 100 %). Null when valid.
    /// </summary>
    /// <param name="atMost100Percent">False for a Deployment's max surge, the one such field the API server lets go above 100%.</param>
    public static string? ValidateIntOrPercent(string? value, string what, bool atMost100Percent = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{Capitalized(what)} is required: a number of pods (e.g. 1) or a percent (e.g. 25%).";
        }

        if (!TryParseIntOrPercent(value, out var number, out var percent))
        {
            return $"{Capitalized(what)} must be a number of pods (e.g. 1) or a percent (e.g. 25%), not '{Shorten(value.Trim())}'.";
        }

        return atMost100Percent && percent && number > 100 ? $"{Capitalized(what)} must be at most 100%." : null;
    }

    // Go's net.ParseIP for IPv4: exactly four decimal parts of 0-255 without leading zeros (IPv6 fails the grammar anyway).
    private static bool IsIPv4(string value)
    {
        var parts = value.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0') && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }

    public static bool TryParseIntOrPercent(string? value, out int number, out bool percent)
    {
        var text = (value ?? "").Trim();
        (number, percent) = (0, text.EndsWith('%'));
        return IntOrPercentGrammar().IsMatch(text) && int.TryParse(text.TrimEnd('%'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number);
    }

    /// <summary>A count of pods out of <paramref name="replicas"/>, rounding a percent up or down as the controllers do.</summary>
    public static int? Pods(string? value, int replicas, bool roundUp) =>
        !TryParseIntOrPercent(value, out var number, out var percent) ? null
        : !percent ? number
        : roundUp ? (int)Math.Ceiling(replicas * number / 100.0) : replicas * number / 100;

    /// <summary>IsDNS1035Label, the grammar of Service names: like a DNS-1123 label, but starting with a letter.</summary>
    public static string? ValidateServiceName(string? value, string what)
    {
        if (Required(value, what) is { } missing)
        {
            return missing;
        }

        return TooLong(value!, LabelMaxLength, what) ?? (Dns1035Label().IsMatch(value!)
            ? null
            : $"{what} must be lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. 'payments-api').");
    }

    /// <summary>IsValidLabelValue: empty, or up to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.</summary>
    public static string? ValidateLabelValue(string? value, string what)
    {
        value ??= "";
        return TooLong(value, LabelMaxLength, what) ?? (LabelValueGrammar().IsMatch(value)
            ? null
            : $"{what} must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit.");
    }

    /// <summary>IsConfigMapKey, for ConfigMap and Secret keys: letters, digits, '-', '_' and '.', at most 253, not '.', '..' or starting with '..'.</summary>
    public static string? ValidateConfigMapKey(string? value, string what)
    {
        if (Required(value, what) is { } missing)
        {
            return missing;
        }

        return TooLong(value!, ConfigMapKeyMaxLength, what)
            ?? (ConfigMapKeyGrammar().IsMatch(value!) ? null : $"'{Shorten(value!)}' is not a valid {what}: letters, digits, '-', '_' and '.' only.")
            ?? ChangesDirectory(value!, what);
    }

    /// <summary>
    /// A key that the pod sees as an environment variable (the portal passes env vars and secrets with <c>envFrom</c>):
    /// both IsEnvVarName (letters, digits, '-', '_' and '.', not starting with a digit) and IsConfigMapKey (at most 253
    /// characters, not '.', '..' or starting with '..'), so that the API server takes it and the kubelet does not skip it.
    /// </summary>
    public static string? ValidateEnvVarName(string? value, string what)
    {
        if (Required(value, what) is { } missing)
        {
            return missing;
        }

        return TooLong(value!, ConfigMapKeyMaxLength, what)
            ?? (EnvVarNameGrammar().IsMatch(value!) ? null : $"'{Shorten(value!)}' is not a valid {what}: letters, digits, '_', '-' and '.', not starting with a digit.")
            ?? ChangesDirectory(value!, what);
    }

    public static string? ValidateImageTag(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "Pick an image tag.";
        }

        return ImageTagGrammar().IsMatch(value)
            ? null
            : $"An image tag is up to {ImageTagMaxLength} letters, digits, '_', '.' and '-', not starting with '.' or '-'.";
    }

    /// <summary>Null for an empty digest (none given), else the digest must be exactly <c>sha256:</c> and 64 lowercase hex digits.</summary>
    public static string? ValidateImageDigest(string? value) =>
        string.IsNullOrEmpty(value) || ImageDigestGrammar().IsMatch(value)
            ? null
            : "An image digest is 'sha256:' followed by 64 lowercase hex digits.";

    public static string? ValidateImageRepository(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "Image repository is required.";
        }

        if (value.Length > ImageRepositoryMaxLength)
        {
            return $"Image repository must be at most {ImageRepositoryMaxLength} characters.";
        }

        var lastSlash = value.LastIndexOf('/');
        if (value.Contains('@') || value.IndexOf(':', lastSlash + 1) >= 0)
        {
            return "Give the repository without a tag or digest (e.g. 'registry.example.com/payments/api'): the tag is picked per deployment.";
        }

        return ImageRepositoryGrammar().IsMatch(value)
            ? null
            : "Image repository must look like 'registry.example.com/payments/api': lowercase path components separated by '/'.";
    }

    private static string? Required(string? value, string what) => string.IsNullOrEmpty(value) ? $"{Capitalized(what)} is required." : null;

    private static string? TooLong(string value, int max, string what) =>
        value.Length > max ? $"{Capitalized(what)} must be at most {max} characters (it is {value.Length})." : null;

    // hasChDirPrefix: a key is also a file name when the ConfigMap or Secret is mounted.
    private static string? ChangesDirectory(string value, string what) => value switch
    {
        "." or ".." => $"A {what} must not be '{value}'.",
        _ when value.StartsWith("..", StringComparison.Ordinal) => $"A {what} must not start with '..'.",
        _ => null,
    };

    private static string Capitalized(string what) => what.Length == 0 ? what : char.ToUpperInvariant(what[0]) + what[1..];

    public static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
