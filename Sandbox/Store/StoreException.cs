namespace Sandbox.Store;

/// <summary>
/// An expected API failure, carrying the Kubernetes Status reason and HTTP code:
/// NotFound 404, AlreadyExists 409, Conflict 409, Invalid 422, BadRequest 400, Gone 410, Unauthorized 401.
/// </summary>
public sealed class StoreException(int code, string reason, string message) : Exception(message)
{
    public int Code = code;
    public string Reason = reason;

    /// <summary>Name, group and kind of the object concerned, for the Status <c>details</c>.</summary>
    public (string? Name, string? Group, string? Kind) Details { get; init; }

    /// <summary>Per-field causes, for the Status <c>details.causes</c> (e.g. the fields of an apply conflict).</summary>
    public IReadOnlyList<(string Reason, string Message, string Field)> Causes { get; init; } = [];

    public static StoreException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type} \"{name}\" not found") { Details = (name, type.Group, type.Plural) };

    public static StoreException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type} \"{name}\" already exists") { Details = (name, type.Group, type.Plural) };

    public static StoreException Conflict(ResourceType type, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type} \"{name}\": {why}") { Details = (name, type.Group, type.Plural) };

    public static StoreException Invalid(ResourceType type, string name, string why) =>
        new(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {why}") { Details = (name, type.Group, type.Kind) };

    public static StoreException BadRequest(string message) => new(400, "BadRequest", message);

    public static StoreException Gone(string message) => new(410, "Expired", message);
}
