namespace SelfService.Cli;

/// <summary>What a pipeline can branch on. Documented in the README; tests pin each one.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The request ended badly: Failed, Rejected, Superseded, Expired, Cancelled or rolled back.</summary>
    public const int Unsuccessful = 1;

    /// <summary><c>--wait</c> gave up before the rollout ended; the rollout goes on in the portal.</summary>
    public const int Timeout = 2;

    /// <summary>Bad command line: unknown command, missing argument, bad option value, no portal URL.</summary>
    public const int Usage = 3;

    /// <summary>No token, or the portal refused it (401): wrong, expired or revoked.</summary>
    public const int Unauthorized = 4;

    /// <summary>The token's user may not do this (403), e.g. another team's service or approving their own request.</summary>
    public const int Forbidden = 5;

    /// <summary>No such service, team, request, environment or revision (404).</summary>
    public const int NotFound = 6;

    /// <summary>The portal refused the input (400/422): the field messages are printed.</summary>
    public const int Invalid = 7;

    /// <summary>The portal refused the change in the current state (409), e.g. approving a request that is no longer waiting.</summary>
    public const int Conflict = 8;

    /// <summary>The portal could not be reached: connection refused, name not resolved, TLS failure or no answer in time.</summary>
    public const int Network = 9;

    /// <summary>The portal (or a registry behind it) failed: 5xx.</summary>
    public const int ServerError = 10;
}

/// <summary>An expected failure: its message goes to stderr and its exit code to the shell.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
