using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Notifications;

public sealed record FeedItem(long Id, NotificationKind Kind, string Text, DateTimeOffset At, int? RequestId, bool Unread);

/// <summary>The bell: events of the user's teams, how many are unread, and marking them read.</summary>
public sealed class NotificationFeed(IDbContextFactory<PortalDbContext> dbFactory)
{
    public async Task<int> UnreadCountAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (TeamAccess.UserId(user) is not { } userId)
        {
            return 0;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var lastRead = await LastReadAsync(db, userId, cancellationToken);
        return await Visible(db, userId).CountAsync(e => e.Id > lastRead, cancellationToken);
    }

    public async Task<IReadOnlyList<FeedItem>> RecentAsync(ClaimsPrincipal user, int take = 10, CancellationToken cancellationToken = default)
    {
        if (TeamAccess.UserId(user) is not { } userId)
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var lastRead = await LastReadAsync(db, userId, cancellationToken);
        var events = await Visible(db, userId).OrderByDescending(e => e.Id).Take(take)
            .Select(e => new
            {
                e.Id,
                e.Kind,
                e.At,
                e.RequestId,
                e.Environment,
                e.Actor,
                Team = e.Team != null ? e.Team.Name : e.Service!.Team.Name,
                Service = e.Service != null ? e.Service.Name : null,
            })
            .ToListAsync(cancellationToken);
        return [.. events.Select(e => new FeedItem(
            e.Id,
            e.Kind,
            WebhookPayloads.Sentence(new EventFacts(e.Id, e.Kind, e.At, e.Team, e.Service, e.Environment, e.RequestId, null, e.Actor, "")),
            e.At,
            e.RequestId,
            e.Id > lastRead))];
    }

    /// <summary>Marks everything up to the newest event the user can see as read.</summary>
    public async Task MarkAllReadAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (TeamAccess.UserId(user) is not { } userId)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var newest = await Visible(db, userId).MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
        var read = await db.NotificationReads.SingleOrDefaultAsync(r => r.UserId == userId, cancellationToken);
        if (read is null)
        {
            db.NotificationReads.Add(new NotificationRead { UserId = userId, LastReadEventId = newest });
        }
        else if (read.LastReadEventId < newest)
        {
            read.LastReadEventId = newest;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same user marked read in another tab at the same moment: either row says the same.
        }
    }

    /// <summary>The events of the teams the user is a member of (test sends are for the hook, not for people).</summary>
    private static IQueryable<NotificationEvent> Visible(PortalDbContext db, string userId)
    {
        var teams = db.TeamMembers.Where(m => m.UserId == userId).Select(m => m.TeamId);
        return db.NotificationEvents.Where(e => e.Kind != NotificationKind.Test
            && ((e.TeamId != null && teams.Contains(e.TeamId.Value)) || (e.ServiceId != null && teams.Contains(e.Service!.TeamId))));
    }

    private static async Task<long> LastReadAsync(PortalDbContext db, string userId, CancellationToken cancellationToken) =>
        await db.NotificationReads.Where(r => r.UserId == userId).Select(r => (long?)r.LastReadEventId).SingleOrDefaultAsync(cancellationToken) ?? 0;
}
