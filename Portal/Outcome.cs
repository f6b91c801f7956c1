namespace Portal;

public enum OutcomeKind
{
    Ok,
    Invalid,
    Forbidden,
    NotFound,
    Conflict,
}

/// <summary>
/// The result of a user-initiated change: expected failures (bad input, not allowed, already taken) are values with a
/// message for the user, not exceptions. Field errors are keyed by the input's property name.
/// </summary>
public sealed record Outcome<T>(OutcomeKind Kind, T? Value, string? Message, IReadOnlyDictionary<string, string[]> FieldErrors)
{
    private static readonly IReadOnlyDictionary<string, string[]> NoFieldErrors = new Dictionary<string, string[]>();

    public bool Succeeded => Kind == OutcomeKind.Ok;

    public static Outcome<T> Ok(T value) => new(OutcomeKind.Ok, value, null, NoFieldErrors);

    public static Outcome<T> Invalid(IReadOnlyDictionary<string, string[]> fieldErrors) =>
        new(OutcomeKind.Invalid, default, "Some fields are not valid.", fieldErrors);

    public static Outcome<T> Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static Outcome<T> Forbidden(string message) => new(OutcomeKind.Forbidden, default, message, NoFieldErrors);

    public static Outcome<T> NotFound(string message) => new(OutcomeKind.NotFound, default, message, NoFieldErrors);

    public static Outcome<T> Conflict(string message) => new(OutcomeKind.Conflict, default, message, NoFieldErrors);
}
