using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Identity;

/// <summary>One user as the Admin's users page shows it: who, their teams and roles, whether Admin, and lockout state.</summary>
public sealed record UserView(
    string Id,
    string UserName,
    string DisplayName,
    string? Email,
    IReadOnlyList<TeamMembershipView> Teams,
    bool IsAdmin,
    DateTimeOffset? LockedUntil,
    int FailedSignIns,
    bool SignsInExternally);

/// <summary>The users page's read side: three queries whatever the number of users, and nothing of their credentials.</summary>
public sealed class UserDirectory(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time)
{
    public async Task<IReadOnlyList<UserView>> UsersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking()
            .OrderBy(u => u.UserName)
            .Select(u => new { u.Id, u.UserName, u.DisplayName, u.Email, u.LockoutEnd, u.AccessFailedCount, HasPassword = u.PasswordHash != null })
            .ToListAsync(cancellationToken);
        var memberships = (await db.TeamMembers.AsNoTracking()
            .OrderBy(m => m.Team.Name)
            .Select(m => new { m.UserId, View = new TeamMembershipView(m.TeamId, m.Team.Name, m.Role) })
            .ToListAsync(cancellationToken))
            .ToLookup(m => m.UserId, m => m.View);
        var admins = (await db.UserRoles.AsNoTracking()
            .Where(r => db.Roles.Any(role => role.Id == r.RoleId && role.Name == Roles.Admin))
            .Select(r => r.UserId)
            .ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        return
        [
            .. users.Select(u => new UserView(
                u.Id,
                u.UserName ?? "",
                u.DisplayName,
                u.Email,
                [.. memberships[u.Id]],
                admins.Contains(u.Id),
                u.LockoutEnd is { } end && end > now ? end : null,
                u.AccessFailedCount,
                !u.HasPassword)),
        ];
    }
}
