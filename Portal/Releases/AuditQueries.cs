using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Releases;

/// <summary>What the audit page and the export filter by; every part is optional.</summary>
public sealed record AuditFilter(string? Search = null, AuditSubject? Kind = null, string? Team = null, string? Actor = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>One entry as the page and the export show it (init properties, so that it can be ordered in SQL).</summary>
public sealed record AuditRow
{
    public long Id { get; init; }

    public DateTimeOffset At { get; init; }

    [System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter))]
    public AuditSubject Kind { get; init; }

    public string Subject { get; init; } = "";

    public string Action { get; init; } = "";

    public string Team { get; init; } = "";

    public string Actor { get; init; } = "";

    [System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter))]
    public RequestState? From { get; init; }

    [System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter))]
    public RequestState? To { get; init; }

    public string Details { get; init; } = "";

    public int? RequestId { get; init; }
}

/// <summary>The audit trail, filtered and paged in SQL. Admins see every entry; everyone else only their teams' entries.</summary>
public sealed class AuditQueries(IDbContextFactory<PortalDbContext> dbFactory)
{
    /// <summary>The most rows one export writes: a bigger trail is narrowed by the filter.</summary>
    public const int MaxExportRows = 100_000;

    public const int DefaultPageSize = 50;

    public const int MaxPageSize = 200;

    public async Task<(IReadOnlyList<AuditRow> Items, int Total)> PageAsync(ClaimsPrincipal user, AuditFilter filter, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        var paging = Paging.Bounded(page, pageSize, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = await QueryAsync(db, user, filter, cancellationToken);
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Skip(paging.Skip).Take(paging.PageSize).ToListAsync(cancellationToken);
        return (items, total);
    }

    /// <summary>The filtered entries, newest first, as CSV lines (header first), streamed from the database.</summary>
    public async IAsyncEnumerable<string> CsvAsync(ClaimsPrincipal user, AuditFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = await QueryAsync(db, user, filter, cancellationToken);
        yield return CsvLine(["at", "kind", "subject", "action", "team", "actor", "from", "to", "details"]);
        await foreach (var row in query.OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Take(MaxExportRows).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return CsvLine([
                row.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), row.Kind.ToString(), row.Subject, row.Action, row.Team, row.Actor,
                row.From?.ToString() ?? "", row.To?.ToString() ?? "", row.Details]);
        }
    }

    /// <summary>
    /// One CSV record (RFC 4180): a field with a comma, quote or line break is quoted, quotes doubled. A field that a
    /// spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) is prefixed with a quote
    /// character, so an actor or comment cannot smuggle a formula into whoever opens the export.
    /// </summary>
    public static string CsvLine(IEnumerable<string> fields)
    {
        var line = new StringBuilder();
        foreach (var raw in fields)
        {
            if (line.Length > 0)
            {
                line.Append(',');
            }

            var field = raw.Length > 0 && raw[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + raw : raw;
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                line.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                line.Append(field);
            }
        }

        return line.Append("\r\n").ToString();
    }

    private static async Task<IQueryable<AuditRow>> QueryAsync(PortalDbContext db, ClaimsPrincipal user, AuditFilter filter, CancellationToken cancellationToken)
    {
        // A request's events name its service; its team is the service's team.
        var rows = db.AuditEvents.AsNoTracking().Select(e => new
        {
            Event = e,
            TeamId = e.TeamId ?? db.Services.Where(s => s.Id == e.ServiceId).Select(s => (int?)s.TeamId).FirstOrDefault(),
        });
        if (!TeamAccess.IsAdmin(user))
        {
            var userId = TeamAccess.UserId(user) ?? "";
            var mine = await db.TeamMembers.Where(m => m.UserId == userId).Select(m => (int?)m.TeamId).ToListAsync(cancellationToken);
            rows = rows.Where(r => r.TeamId != null && mine.Contains(r.TeamId));
        }

        if (!string.IsNullOrWhiteSpace(filter.Team))
        {
            var teamId = await db.Teams.Where(t => t.Name == filter.Team.Trim()).Select(t => (int?)t.Id).SingleOrDefaultAsync(cancellationToken) ?? -1;
            rows = rows.Where(r => r.TeamId == teamId);
        }

        if (filter.Kind is { } kind)
        {
            rows = rows.Where(r => r.Event.Kind == kind);
        }

        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            rows = rows.Where(r => r.Event.Actor == actor);
        }

        if (filter.From is { } from)
        {
            rows = rows.Where(r => r.Event.At >= from);
        }

        if (filter.To is { } to)
        {
            rows = rows.Where(r => r.Event.At < to);
        }

        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var text = filter.Search.Trim().ToLower();
            rows = rows.Where(r => r.Event.Subject.ToLower().Contains(text) || r.Event.Action.ToLower().Contains(text) || r.Event.Comment.ToLower().Contains(text) || r.Event.Actor.ToLower().Contains(text));
        }

        return rows.Select(r => new AuditRow
        {
            Id = r.Event.Id,
            At = r.Event.At,
            Kind = r.Event.Kind,
            Subject = r.Event.Subject,
            Action = r.Event.Action,
            Team = db.Teams.Where(t => t.Id == r.TeamId).Select(t => t.Name).FirstOrDefault() ?? "",
            Actor = r.Event.Actor,
            From = r.Event.From,
            To = r.Event.To,
            Details = r.Event.Comment,
            RequestId = r.Event.RequestId,
        });
    }
}
