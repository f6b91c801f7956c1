namespace Portal.Registry;

/// <summary>How a question to a registry ended. Only <see cref="Ok"/> carries an answer.</summary>
public enum RegistryStatus
{
    Ok,

    /// <summary>The repository's host has no entry under <c>Registries</c>: the portal does not ask hosts it was not told about.</summary>
    NotConfigured,

    /// <summary>The repository or tag is not a valid reference.</summary>
    InvalidReference,

    /// <summary>No connection, TLS failure or no answer in time.</summary>
    Unreachable,

    /// <summary>The registry answered, but not usefully (5xx, 429, a malformed body).</summary>
    RegistryError,

    /// <summary>Credentials missing or refused, by the registry or its token service.</summary>
    Unauthorized,

    RepositoryNotFound,

    TagNotFound,
}

public static class RegistryStatusExtensions
{
    /// <summary>
    /// True when the registry could not tell whether a tag exists: callers show a warning and may allow manual entry.
    /// False for answers about the image itself (no such repository or tag, a bad reference): those are validation errors.
    /// </summary>
    public static bool IsRegistryProblem(this RegistryStatus status) =>
        status is RegistryStatus.NotConfigured or RegistryStatus.Unreachable or RegistryStatus.RegistryError or RegistryStatus.Unauthorized;
}

/// <summary>The client's answer to one question: a value, or a status and a message for the user.</summary>
public sealed record RegistryResult<T>(RegistryStatus Status, T? Value, string? Message)
{
    public bool Succeeded => Status == RegistryStatus.Ok;

    public static RegistryResult<T> Ok(T value) => new(RegistryStatus.Ok, value, null);

    public static RegistryResult<T> Failed(RegistryStatus status, string message) => new(status, default, message);

    /// <summary>This failure, as the result of a caller that returns another type.</summary>
    public RegistryResult<TOther> FailureAs<TOther>() =>
        Succeeded ? throw new InvalidOperationException("A successful result has no failure to pass on.") : new(Status, default, Message);
}
