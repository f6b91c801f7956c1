using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Identity;

/// <summary>
/// Answers "may this user act for this team?" from the user's current memberships (read from the database, kept a few
/// seconds in <see cref="MembershipCache"/> and forgotten there at once on every change), so that a membership change
/// made by an Admin takes effect at once instead of when the member's cookie is renewed.
/// </summary>
public sealed class TeamAccess(IDbContextFactory<PortalDbContext> dbFactory, MembershipCache? memberships = null)
{
    public static string? UserId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);

    public static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(Roles.Admin);

    /// <summary>Deployment requests are a team's business: its members and Admins see them.</summary>
    public async Task<bool> CanSeeAsync(ClaimsPrincipal user, int teamId, CancellationToken cancellationToken = default) =>
        await HasRoleAsync(user, teamId, TeamRole.Member, cancellationToken);

    public async Task<bool> CanChangeAsync(ClaimsPrincipal user, int teamId, CancellationToken cancellationToken = default) =>
        await HasRoleAsync(user, teamId, TeamRole.Member, cancellationToken);

    public async Task<bool> CanApproveAsync(ClaimsPrincipal user, int teamId, CancellationToken cancellationToken = default) =>
        await HasRoleAsync(user, teamId, TeamRole.Approver, cancellationToken);

    public async Task<IReadOnlyList<TeamMembershipView>> MembershipsAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        var userId = UserId(user);
        if (userId is null)
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.TeamMembers.Where(m => m.UserId == userId)
            .OrderBy(m => m.Team.Name)
            .Select(m => new TeamMembershipView(m.TeamId, m.Team.Name, m.Role))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The teams whose services the user may register or change: all of them for an Admin.</summary>
    public async Task<IReadOnlyList<TeamMembershipView>> ChangeableTeamsAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (!IsAdmin(user))
        {
            return await MembershipsAsync(user, cancellationToken);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Teams.OrderBy(t => t.Name)
            .Select(t => new TeamMembershipView(t.Id, t.Name, TeamRole.Approver))
            .ToListAsync(cancellationToken);
    }

    private async Task<bool> HasRoleAsync(ClaimsPrincipal user, int teamId, TeamRole minimum, CancellationToken cancellationToken)
    {
        if (IsAdmin(user))
        {
            return true;
        }

        var userId = UserId(user);
        if (userId is null)
        {
            return false;
        }

        var roles = memberships?.Find(userId);
        if (roles is null)
        {
            var generation = memberships?.Generation ?? 0;
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            roles = await db.TeamMembers.AsNoTracking().Where(m => m.UserId == userId)
                .Select(m => new { m.TeamId, m.Role })
                .ToDictionaryAsync(m => m.TeamId, m => m.Role, cancellationToken);
            memberships?.Remember(userId, roles, generation);
        }

        return roles.TryGetValue(teamId, out var role) && (minimum == TeamRole.Member || role == TeamRole.Approver);
    }
}

public sealed record TeamMembershipView(int TeamId, string Team, TeamRole Role);
