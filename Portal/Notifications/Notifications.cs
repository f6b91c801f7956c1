using Portal.Data;
using Portal.Requests;

namespace Portal.Notifications;

/// <summary>The one way other features announce something: inside their own transaction, before their SaveChanges.</summary>
public static class Notifications
{
    public const int MaxCommentLength = 500;

    /// <summary>Adds the event to the outbox; the caller's SaveChanges stores it with the change it describes.</summary>
    public static void Enqueue(PortalDbContext db, NotificationEvent e)
    {
        if (e.Comment.Length > MaxCommentLength)
        {
            e.Comment = e.Comment[..MaxCommentLength];
        }

        db.NotificationEvents.Add(e);
    }

    /// <summary>The event a request transition announces, if any (cancelled, superseded and expired are not announced).</summary>
    public static NotificationKind? KindOf(RequestState to) => to switch
    {
        RequestState.AwaitingApproval => NotificationKind.AwaitingApproval,
        RequestState.Approved => NotificationKind.Approved,
        RequestState.Rejected => NotificationKind.Rejected,
        RequestState.RollingOut => NotificationKind.Applied,
        RequestState.Succeeded => NotificationKind.Succeeded,
        RequestState.Failed => NotificationKind.Failed,
        RequestState.RolledBack => NotificationKind.RolledBack,
        _ => null,
    };

    /// <summary>Called by <see cref="RequestLifecycle"/> for every transition, in the transition's transaction.</summary>
    internal static void EnqueueTransition(PortalDbContext db, DeploymentRequest request, RequestState to, string actor, string? comment, DateTimeOffset now)
    {
        if (request.State == RequestState.Submitted)
        {
            Enqueue(db, ForRequest(request, NotificationKind.Submitted, request.RequestedBy, request.Comment, now));
        }

        if (KindOf(to) is { } kind)
        {
            Enqueue(db, ForRequest(request, kind, actor, comment ?? "", now));
        }
    }

    private static NotificationEvent ForRequest(DeploymentRequest request, NotificationKind kind, string actor, string comment, DateTimeOffset now) => new()
    {
        Kind = kind,
        ServiceId = request.ServiceId,
        RequestId = request.Id == 0 ? null : request.Id,
        Request = request.Id == 0 ? request : null,
        Environment = request.Environment,
        Actor = actor,
        Comment = comment,
        At = now,
    };

    public static string Describe(NotificationKind kind) => kind switch
    {
        NotificationKind.AwaitingApproval => "awaiting approval",
        NotificationKind.RolledBack => "rolled back",
        NotificationKind.BreakGlass => "break-glass",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The event type in payloads: <c>request.awaiting_approval</c>, <c>break_glass</c>, <c>test</c>.</summary>
    public static string TypeName(NotificationKind kind) => kind switch
    {
        NotificationKind.BreakGlass => "break_glass",
        NotificationKind.Test => "test",
        NotificationKind.AwaitingApproval => "request.awaiting_approval",
        NotificationKind.RolledBack => "request.rolled_back",
        _ => "request." + kind.ToString().ToLowerInvariant(),
    };
}
