using Portal.Catalog;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Notifications;

/// <summary>What a team can be told about. Stored by name, so new kinds can be added without renumbering.</summary>
public enum NotificationKind
{
    Submitted,
    AwaitingApproval,
    Approved,
    Rejected,
    Applied,
    Succeeded,
    Failed,
    RolledBack,
    BreakGlass,

    /// <summary>Sent by a hook's "send test" button to that hook only; never shown in the bell.</summary>
    Test,
}

/// <summary>
/// One thing that happened to a team's request or service, written in the same transaction as the change itself (the
/// outbox): a change that was saved is always announced, a change that was rolled back never is. Holds no secret values.
/// </summary>
public sealed class NotificationEvent
{
    public long Id { get; set; }

    public NotificationKind Kind { get; set; }

    /// <summary>The team; may be left null when <see cref="ServiceId"/> is set (the dispatcher fills it in from the service).</summary>
    public int? TeamId { get; set; }

    public Team? Team { get; set; }

    public int? ServiceId { get; set; }

    public Service? Service { get; set; }

    public int? RequestId { get; set; }

    /// <summary>Set instead of <see cref="RequestId"/> for a request saved in the same SaveChanges (its id is not known yet).</summary>
    public DeploymentRequest? Request { get; set; }

    public string Environment { get; set; } = "";

    public required string Actor { get; set; }

    public string Comment { get; set; } = "";

    public DateTimeOffset At { get; set; }

    /// <summary>Deliveries were created for the team's hooks. Set once, in the transaction that adds them.</summary>
    public bool FannedOut { get; set; }

    /// <summary>Two dispatchers fanning out the same event: only one of them saves.</summary>
    public int Version { get; set; }
}

/// <summary>How far a user has read the bell's events.</summary>
public sealed class NotificationRead
{
    public required string UserId { get; set; }

    public long LastReadEventId { get; set; }
}
