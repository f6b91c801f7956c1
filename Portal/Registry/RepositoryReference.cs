namespace Portal.Registry;

/// <summary>
/// An image repository split the way Docker reads it: the first component is a registry host when it has a dot,
/// a port or is <c>localhost</c>; otherwise the repository is on Docker Hub (<c>docker.io</c>), where one-component
/// names live under <c>library/</c>.
/// </summary>
public readonly record struct RepositoryReference(string Host, string Path)
{
    public const string DockerHub = "docker.io";

    public override string ToString() => $"{Host}/{Path}";

    public static RepositoryReference? Parse(string? repository)
    {
        var value = repository?.Trim() ?? "";
        if (value.Length == 0 || value.Contains('@') || value.Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        var slash = value.IndexOf('/');
        var first = slash < 0 ? "" : value[..slash];
        var isHost = slash > 0 && (first.Contains('.') || first.Contains(':') || first == "localhost");
        var host = isHost ? first.ToLowerInvariant() : DockerHub;
        var path = isHost ? value[(slash + 1)..] : value;
        if (host is "index.docker.io" or "registry-1.docker.io")
        {
            host = DockerHub;
        }

        if (host == DockerHub && !path.Contains('/'))
        {
            path = "library/" + path;
        }

        // "repo:tag" fails the grammar on purpose: a service names a repository, the tag is picked per deployment.
        return IsRepositoryPath(path) ? new RepositoryReference(host, path) : null;
    }

    /// <summary>The distribution spec's name grammar: lowercase components of [a-z0-9] joined by '.', '_', '__' or '-'s, separated by '/'.</summary>
    private static bool IsRepositoryPath(string path) =>
        path.Length is > 0 and <= 255
        && path.Split('/').All(component =>
            component.Length > 0
            && IsLowerAlphanumeric(component[0])
            && IsLowerAlphanumeric(component[^1])
            && component.All(c => IsLowerAlphanumeric(c) || c is '.' or '_' or '-'));

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
