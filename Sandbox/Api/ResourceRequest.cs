using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>What a resource URL addresses: a type, maybe a namespace, maybe one object and one of its subresources.</summary>
internal sealed record ResourceRequest(ResourceType Type, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>Parses the segments after <c>/api/v1</c> or <c>/apis/{group}/{version}</c>; null when they name nothing served.</summary>
    public static ResourceRequest? Parse(string group, string version, IReadOnlyList<string> segments)
    {
        if (segments.Count >= 3 && segments[0] == "namespaces"
            && ResourceTypes.Find(group, version, segments[2]) is { Namespaced: true } namespaced)
        {
            if (segments.Count > 5)
            {
                return null;
            }

            return new(namespaced, segments[1], At(segments, 3), At(segments, 4));
        }
        if (segments.Count is 0 or > 3)
        {
            return null;
        }

        var type = ResourceTypes.Find(group, version, segments[0]);
        if (type is null)
        {
            return null;
        }

        var name = At(segments, 1);
        // A namespaced object can only be addressed through its namespace; the bare path lists all namespaces.
        if (type.Namespaced && name is not null)
        {
            return null;
        }

        return new(type, null, name, At(segments, 2));
    }

    private static string? At(IReadOnlyList<string> segments, int index) =>
        index < segments.Count && segments[index].Length > 0 ? Uri.UnescapeDataString(segments[index]) : null;
}
