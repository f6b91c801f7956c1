using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Portal.Registry;

/// <summary>
/// A <c>WWW-Authenticate</c> challenge: <c>Basic realm="..."</c>, or <c>Bearer realm="...",service="...",scope="..."</c>
/// for the token flow (the realm is the token service to ask).
/// </summary>
internal sealed partial record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    /// <summary>Prefers Bearer when a registry offers both: it keeps the password away from the registry itself.</summary>
    public static AuthChallenge? From(HttpHeaderValueCollection<AuthenticationHeaderValue> headers)
    {
        var challenges = headers.Select(h => new AuthChallenge(h.Scheme, ParseParameters(h.Parameter))).ToList();
        return challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
    }

    internal static Dictionary<string, string> ParseParameters(string? parameter)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in Parameter().Matches(parameter ?? ""))
        {
            var value = match.Groups["quoted"].Success
                ? Escaped().Replace(match.Groups["quoted"].Value, "$1")
                : match.Groups["token"].Value;
            parameters.TryAdd(match.Groups["name"].Value, value);
        }

        return parameters;
    }

    [GeneratedRegex("""(?<name>[A-Za-z0-9_-]+)\s*=\s*(?:"(?<quoted>(?:[^"\\]|\\.)*)"|(?<token>[^\s,"]+))""")]
    private static partial Regex Parameter();

    [GeneratedRegex("""\\(.)""")]
    private static partial Regex Escaped();
}
