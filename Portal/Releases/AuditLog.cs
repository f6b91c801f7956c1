using Portal.Data;
using Portal.Requests;

namespace Portal.Releases;

/// <summary>
/// Records a change to teams, members, roles, services, tokens or freeze windows in the caller's context, to be saved
/// with the change itself. Request transitions are recorded by <see cref="RequestLifecycle"/>. Details never carry secrets.
/// </summary>
public static class AuditLog
{
    public static void Record(PortalDbContext db, AuditSubject kind, string subject, string action, int? teamId, string actor, DateTimeOffset at, string details = "")
    {
        db.AuditEvents.Add(new AuditEvent
        {
            Kind = kind,
            Subject = Cut(subject, 256),
            Action = Cut(action, 32),
            TeamId = teamId,
            Actor = Cut(actor, 256),
            At = at,
            Comment = Cut(details, 2000),
        });
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
