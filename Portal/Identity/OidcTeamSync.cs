using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Identity;

/// <summary>
/// Turns a user signed in by the identity provider into a local user whose team memberships and Admin role follow the
/// groups claim, so that authorization reads one source (the database) whichever way the user signed in. Each change
/// it makes is audited like an Admin's, with the identity provider as the actor.
/// </summary>
public sealed class OidcTeamSync(
    UserManager<PortalUser> users,
    SignInManager<PortalUser> signIn,
    IDbContextFactory<PortalDbContext> dbFactory,
    AccessTokenCache tokenCache,
    IOptions<OidcOptions> options,
    TimeProvider time)
{
    public const string LoginProvider = "oidc";

    /// <summary>Who the audit names for changes that follow the identity provider's groups.</summary>
    public const string AuditActor = "single sign-on (groups)";

    public async Task<ClaimsPrincipal> SyncAsync(ClaimsPrincipal external)
    {
        var settings = options.Value;
        var subject = external.FindFirstValue("sub") ?? external.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The identity provider sent no subject claim.");
        var userName = external.FindFirstValue("preferred_username") ?? external.FindFirstValue(ClaimTypes.Email)
            ?? external.FindFirstValue("email") ?? subject;

        var user = await users.FindByLoginAsync(LoginProvider, subject);
        if (user is null)
        {
            user = new PortalUser
            {
                UserName = await FreeUserNameAsync(userName),
                Email = external.FindFirstValue("email") ?? external.FindFirstValue(ClaimTypes.Email),
                DisplayName = external.FindFirstValue("name") ?? userName,
            };
            Check(await users.CreateAsync(user));
            Check(await users.AddLoginAsync(user, new UserLoginInfo(LoginProvider, subject, settings.DisplayName)));
        }

        var groups = external.FindAll(settings.GroupsClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var adminChanged = await SyncAdminAsync(user, groups.Contains(settings.AdminGroup));
        var membershipsChanged = await SyncMembershipsAsync(user, groups, settings.ApproverGroupSuffix);
        if (adminChanged || membershipsChanged)
        {
            // Only a change: forgetting also reloads the user's open pages (UserCircuits), which a sign-in elsewhere
            // that changes nothing must not do.
            tokenCache.ForgetUser(user.Id);
        }
        return await signIn.CreateUserPrincipalAsync(user);
    }

    /// <summary>Gives or takes the Admin role as the groups say; true when that changed it.</summary>
    private async Task<bool> SyncAdminAsync(PortalUser user, bool isAdmin)
    {
        var hasRole = await users.IsInRoleAsync(user, Roles.Admin);
        if (isAdmin && !hasRole)
        {
            Check(await users.AddToRoleAsync(user, Roles.Admin));
        }
        else if (!isAdmin && hasRole)
        {
            Check(await users.RemoveFromRoleAsync(user, Roles.Admin));
        }

        return isAdmin != hasRole;
    }

    /// <summary>Makes the user's memberships those the groups say; true when that changed any.</summary>
    private async Task<bool> SyncMembershipsAsync(PortalUser user, HashSet<string> groups, string approverSuffix)
    {
        var userId = user.Id;
        await using var db = await dbFactory.CreateDbContextAsync();
        var teams = await db.Teams.Select(t => new { t.Id, t.Name }).ToListAsync();
        var wanted = new Dictionary<int, TeamRole>();
        foreach (var team in teams)
        {
            if (groups.Contains(team.Name + approverSuffix))
            {
                wanted[team.Id] = TeamRole.Approver;
            }
            else if (groups.Contains(team.Name))
            {
                wanted[team.Id] = TeamRole.Member;
            }
        }

        var current = await db.TeamMembers.Where(m => m.UserId == userId).ToListAsync();
        var names = teams.ToDictionary(t => t.Id, t => t.Name);
        var now = time.GetUtcNow();
        void Audit(int teamId, string action, string details) =>
            Releases.AuditLog.Record(db, Requests.AuditSubject.Member, $"{names[teamId]}/{user.UserName}", action, teamId, AuditActor, now, details);

        foreach (var gone in current.Where(m => !wanted.ContainsKey(m.TeamId)))
        {
            db.TeamMembers.Remove(gone);
            Audit(gone.TeamId, "Removed", $"Was {gone.Role}; not in the team's group any more.");
        }

        foreach (var (teamId, role) in wanted)
        {
            var existing = current.Find(m => m.TeamId == teamId);
            if (existing is null)
            {
                db.TeamMembers.Add(new TeamMember { TeamId = teamId, UserId = userId, Role = role });
                Audit(teamId, "Added", $"Role {role}, from the identity provider's groups.");
            }
            else if (existing.Role != role)
            {
                Audit(teamId, "RoleChanged", $"Role {existing.Role} -> {role}, from the identity provider's groups.");
                existing.Role = role;
            }
        }

        return await db.SaveChangesAsync() > 0;
    }

    private async Task<string> FreeUserNameAsync(string wanted)
    {
        var candidate = wanted;
        for (var suffix = 2; await users.FindByNameAsync(candidate) is not null; suffix++)
        {
            candidate = $"{wanted}-{suffix}";
        }

        return candidate;
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Could not record the single sign-on user: " + string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
