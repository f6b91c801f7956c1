using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Identity;

/// <summary>
/// Answers "may this user act for this team?" from the database on every call, so that a membership change made by an
/// Admin takes effect at once instead of when the member's cookie is renewed.
/// </summary>
public sealed class TeamAccess(IDbContextFactory<PortalDbContext> dbFactory)
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

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var role = await db.TeamMembers.Where(m => m.TeamId == teamId && m.UserId == userId)
            .Select(m => (TeamRole?)m.Role)
            .SingleOrDefaultAsync(cancellationToken);
        return role is not null && (minimum == TeamRole.Member || role == TeamRole.Approver);
    }
}

public sealed record TeamMembershipView(int TeamId, string Team, TeamRole Role);
