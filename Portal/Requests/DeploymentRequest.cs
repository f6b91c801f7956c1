using Portal.Catalog;

namespace Portal.Requests;

public enum RequestState
{
    Submitted,
    AwaitingApproval,
    Approved,
    Applying,
    RollingOut,
    Succeeded,
    Failed,
    RolledBack,
    Rejected,
    Cancelled,
    Superseded,
    Expired,
}

/// <summary>The desired state of one service in one environment, as submitted. Only its state moves, through <see cref="RequestLifecycle"/>.</summary>
public sealed class DeploymentRequest
{
    public int Id { get; set; }

    public int ServiceId { get; set; }

    public Service Service { get; set; } = null!;

    public required string Environment { get; set; }

    public RequestState State { get; set; }

    public required RequestSpec Spec { get; set; }

    public required string SpecHash { get; set; }

    /// <summary>The spec's image tag, kept as a column of its own so that lists can show and filter it in SQL.</summary>
    public required string ImageTag { get; set; }

    /// <summary>The revision that was current in the environment when this request was submitted; null for a first deploy.</summary>
    public int? BaseRevision { get; set; }

    /// <summary>Set when the request succeeds in its environment.</summary>
    public int? Revision { get; set; }

    public required string RequestedById { get; set; }

    public required string RequestedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string Comment { get; set; } = "";

    /// <summary>The form-level summary of secret changes ("DB_PASSWORD set"), for review and audit: names only.</summary>
    public List<SecretChange> SecretChanges { get; set; } = [];

    /// <summary>When this request copies an earlier revision (rollback), that revision.</summary>
    public int? RollbackOfRevision { get; set; }

    /// <summary>Bumped by every transition: two approvers or workers acting at once cannot both succeed.</summary>
    public int Version { get; set; }

    public List<RequestDecision> Decisions { get; } = [];

    /// <summary>Set when an Admin submitted the request during a freeze window: why the freeze was broken.</summary>
    public string? BreakGlassReason { get; set; }

    /// <summary>When this request copies the spec that succeeded in the previous environment, that request.</summary>
    public int? PromotedFromRequestId { get; set; }

    public bool IsOpen => State is RequestState.Submitted or RequestState.AwaitingApproval or RequestState.Approved;
}

public enum SecretChangeKind
{
    Added,
    Replaced,
    Removed,
}

public sealed record SecretChange(string Key, SecretChangeKind Kind);

public enum DecisionKind
{
    Approved,
    Rejected,
}

/// <summary>An approver's decision, bound to the exact spec and base revision it was made on.</summary>
public sealed class RequestDecision
{
    public int Id { get; set; }

    public int RequestId { get; set; }

    public DecisionKind Kind { get; set; }

    /// <summary>Null when the environment's policy approved the request.</summary>
    public string? DecidedById { get; set; }

    public required string DecidedBy { get; set; }

    public string Comment { get; set; } = "";

    public DateTimeOffset DecidedAt { get; set; }

    public required string SpecHash { get; set; }

    public int? BaseRevision { get; set; }
}

/// <summary>What an <see cref="AuditEvent"/> is about.</summary>
public enum AuditSubject
{
    Request,
    Team,
    Member,
    Service,
    Token,
    FreezeWindow,
}

/// <summary>
/// Who changed what, when, and why: every request transition (with from and to state) and every change to teams,
/// members, roles, services, tokens and freeze windows. Never holds secret values.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public AuditSubject Kind { get; set; } = AuditSubject.Request;

    /// <summary>What changed, readable: <c>#12</c>, <c>payments</c>, <c>payments/alice</c>, <c>payments/payments-api</c>.</summary>
    public string Subject { get; set; } = "";

    /// <summary>What was done: the state a request moved to, or <c>Created</c>, <c>RoleChanged</c>, <c>BreakGlass</c>...</summary>
    public string Action { get; set; } = "";

    /// <summary>The team it belongs to; for a request, its service's team (also found through <see cref="ServiceId"/>).</summary>
    public int? TeamId { get; set; }

    public int? RequestId { get; set; }

    public int? ServiceId { get; set; }

    public required string Actor { get; set; }

    public DateTimeOffset At { get; set; }

    public RequestState? From { get; set; }

    /// <summary>The state a request moved to; null for events that are not a transition.</summary>
    public RequestState? To { get; set; }

    /// <summary>Why, or the details of the change (names, roles; never secret values).</summary>
    public string Comment { get; set; } = "";
}

/// <summary>One encrypted secret value of a service in an environment. Requests reference it; its plaintext is never read back to a user.</summary>
public sealed class SecretValue
{
    public int Id { get; set; }

    public int ServiceId { get; set; }

    public required string Environment { get; set; }

    public required string Key { get; set; }

    public required string Ciphertext { get; set; }

    /// <summary>Length of the plaintext in bytes, for the 1 MiB total without decrypting.</summary>
    public int Size { get; set; }

    public required string SetBy { get; set; }

    public DateTimeOffset SetAt { get; set; }
}
