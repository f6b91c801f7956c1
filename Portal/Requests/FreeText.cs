namespace Portal.Requests;

/// <summary>
/// The one limit on free text people type (request, decision, cancel and rollback comments, service descriptions),
/// checked here for the form, the API, decisions and rollbacks alike.
/// </summary>
public static class FreeText
{
    public const int MaxLength = 1000;

    /// <summary>Null when <paramref name="text"/> fits, else a message naming <paramref name="label"/>.</summary>
    public static string? Validate(string? text, string label) =>
        text is { Length: > MaxLength } ? $"{label} must be at most {MaxLength} characters (it is {text.Length})." : null;
}
