using System.Text.RegularExpressions;

namespace Portal.Cluster;

/// <summary>The name grammars Kubernetes and OCI registries enforce, checked before anything is stored.</summary>
public static partial class KubernetesNames
{
    public const int LabelMaxLength = 63;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    // OCI distribution reference grammar, repository part only: [host[:port]/]path-component(/path-component)*
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex ImageRepository();

    /// <summary>Null when <paramref name="value"/> is a DNS-1123 label, else a message naming <paramref name="what"/>.</summary>
    public static string? ValidateLabel(string? value, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{what} is required.";
        }

        if (value.Length > LabelMaxLength)
        {
            return $"{what} must be at most {LabelMaxLength} characters (it is {value.Length}).";
        }

        return Dns1123Label().IsMatch(value)
            ? null
            : $"{what} must be lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. 'payments-api').";
    }

    public static string? ValidateImageRepository(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "Image repository is required.";
        }

        if (value.Length > 255)
        {
            return "Image repository must be at most 255 characters.";
        }

        var lastSlash = value.LastIndexOf('/');
        if (value.Contains('@') || value.IndexOf(':', lastSlash + 1) >= 0)
        {
            return "Give the repository without a tag or digest (e.g. 'registry.example.com/payments/api'): the tag is picked per deployment.";
        }

        return ImageRepository().IsMatch(value)
            ? null
            : "Image repository must look like 'registry.example.com/payments/api': lowercase path components separated by '/'.";
    }
}
