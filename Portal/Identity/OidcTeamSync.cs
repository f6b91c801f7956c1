using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Identity;

/// <summary>
/// Turns a user signed in by the identity provider into a local user whose team memberships and Admin role follow the
/// groups claim, so that authorization reads one source (the database) whichever way the user signed in.
/// </summary>
public sealed class OidcTeamSync(
    UserManager<PortalUser> users,
    SignInManager<PortalUser> signIn,
    IDbContextFactory<PortalDbContext> dbFactory,
    AccessTokenCache tokenCache,
    IOptions<OidcOptions> options)
{
    public const string LoginProvider = "oidc";

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
        await SyncAdminAsync(user, groups.Contains(settings.AdminGroup));
        await SyncMembershipsAsync(user.Id, groups, settings.ApproverGroupSuffix);
        tokenCache.ForgetUser(user.Id);
        return await signIn.CreateUserPrincipalAsync(user);
    }

    private async Task SyncAdminAsync(PortalUser user, bool isAdmin)
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
    }

    private async Task SyncMembershipsAsync(string userId, HashSet<string> groups, string approverSuffix)
    {
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
        db.TeamMembers.RemoveRange(current.Where(m => !wanted.ContainsKey(m.TeamId)));
        foreach (var (teamId, role) in wanted)
        {
            var existing = current.Find(m => m.TeamId == teamId);
            if (existing is null)
            {
                db.TeamMembers.Add(new TeamMember { TeamId = teamId, UserId = userId, Role = role });
            }
            else
            {
                existing.Role = role;
            }
        }

        await db.SaveChangesAsync();
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
