using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>Boolean query parameters read as the API server reads them: with Go's strconv.ParseBool.</summary>
internal static class QueryFlags
{
    /// <summary>
    /// True for 1, t, T, TRUE, true, True; false for 0, f, F, FALSE, false, False; absent or empty is false.
    /// Anything else is 400 BadRequest, as the real server's parameter codec answers.
    /// </summary>
    public static bool Flag(this HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        return text switch
        {
            "" => false,
            "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
            "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
            _ => throw StoreException.BadRequest($"invalid value for {name}: strconv.ParseBool: parsing \"{text}\": invalid syntax"),
        };
    }
}
