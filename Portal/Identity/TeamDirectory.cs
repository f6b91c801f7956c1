using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Cluster;
using Portal.Data;
using Portal.Requests;

namespace Portal.Identity;

/// <summary>Admin operations on teams and their members. Every method checks the caller is an Admin.</summary>
public sealed class TeamDirectory(IDbContextFactory<PortalDbContext> dbFactory, AccessTokenCache tokenCache, Microsoft.Extensions.Options.IOptions<EnvironmentCatalog> environments, TimeProvider time)
{
    public async Task<IReadOnlyList<TeamSummary>> TeamsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Teams.OrderBy(t => t.Name)
            .Select(t => new TeamSummary(t.Id, t.Name, t.DisplayName, t.Members.Count, db.Services.Count(s => s.TeamId == t.Id && s.ArchivedAt == null)))
            .ToListAsync(cancellationToken);
    }

    public async Task<Outcome<Team>> CreateTeamAsync(ClaimsPrincipal caller, string name, string displayName)
    {
        if (!TeamAccess.IsAdmin(caller))
        {
            return Outcome<Team>.Forbidden("Only an Admin can create teams.");
        }

        name = name.Trim();
        if (KubernetesNames.ValidateLabel(name, "Team name") is { } error)
        {
            return Outcome<Team>.Invalid(nameof(Team.Name), error);
        }

        // The team's namespaces are DNS-1123 labels too: a long team name can make one too long for Kubernetes.
        foreach (var environment in environments.Value.Environments)
        {
            var ns = environment.NamespaceFor(name);
            if (KubernetesNames.ValidateLabel(ns, $"Namespace '{ns}'") is { } namespaceError)
            {
                return Outcome<Team>.Invalid(nameof(Team.Name), $"In {environment.Name} the team's namespace would be refused: {namespaceError}");
            }
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        if (await db.Teams.AnyAsync(t => t.Name == name))
        {
            return Outcome<Team>.Invalid(nameof(Team.Name), $"A team named '{name}' already exists.");
        }

        var team = new Team { Name = name, DisplayName = displayName.Trim(), CreatedAt = time.GetUtcNow() };
        db.Teams.Add(team);
        await db.SaveChangesAsync();
        Audit(db, AuditSubject.Team, team.Name, "Created", team.Id, caller, $"Display name '{team.DisplayName}'.");
        await db.SaveChangesAsync();
        return Outcome<Team>.Ok(team);
    }

    public async Task<IReadOnlyList<MemberView>> MembersAsync(string teamName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.TeamMembers.Where(m => m.Team.Name == teamName)
            .OrderBy(m => m.User.UserName)
            .Select(m => new MemberView(m.UserId, m.User.UserName!, m.User.DisplayName, m.Role))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> UserNamesAsync(string? startingWith, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Users.AsQueryable();
        if (!string.IsNullOrWhiteSpace(startingWith))
        {
            query = query.Where(u => u.UserName!.StartsWith(startingWith));
        }

        return await query.OrderBy(u => u.UserName).Select(u => u.UserName!).Take(20).ToListAsync(cancellationToken);
    }

    private void Audit(PortalDbContext db, AuditSubject kind, string subject, string action, int teamId, ClaimsPrincipal caller, string details) =>
        Releases.AuditLog.Record(db, kind, subject, action, teamId, caller.Identity?.Name ?? "", time.GetUtcNow(), details);

    public async Task<Outcome<MemberView>> AddMemberAsync(ClaimsPrincipal caller, string teamName, string userName, TeamRole role)
    {
        if (!TeamAccess.IsAdmin(caller))
        {
            return Outcome<MemberView>.Forbidden("Only an Admin can change team members.");
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var team = await db.Teams.SingleOrDefaultAsync(t => t.Name == teamName);
        if (team is null)
        {
            return Outcome<MemberView>.NotFound($"There is no team '{teamName}'.");
        }

        var user = await db.Users.SingleOrDefaultAsync(u => u.UserName == userName.Trim());
        if (user is null)
        {
            return Outcome<MemberView>.Invalid("UserName", $"There is no user '{userName}'.");
        }

        if (await db.TeamMembers.AnyAsync(m => m.TeamId == team.Id && m.UserId == user.Id))
        {
            return Outcome<MemberView>.Invalid("UserName", $"{user.UserName} is already a member of {team.Name}.");
        }

        db.TeamMembers.Add(new TeamMember { TeamId = team.Id, UserId = user.Id, Role = role });
        Audit(db, AuditSubject.Member, $"{team.Name}/{user.UserName}", "Added", team.Id, caller, $"Role {role}.");
        await db.SaveChangesAsync();
        tokenCache.ForgetUser(user.Id);
        return Outcome<MemberView>.Ok(new MemberView(user.Id, user.UserName!, user.DisplayName, role));
    }

    public async Task<Outcome<MemberView>> SetRoleAsync(ClaimsPrincipal caller, string teamName, string userId, TeamRole role)
    {
        if (!TeamAccess.IsAdmin(caller))
        {
            return Outcome<MemberView>.Forbidden("Only an Admin can change team roles.");
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var member = await db.TeamMembers.Include(m => m.User).SingleOrDefaultAsync(m => m.Team.Name == teamName && m.UserId == userId);
        if (member is null)
        {
            return Outcome<MemberView>.NotFound("That user is not a member of this team.");
        }

        Audit(db, AuditSubject.Member, $"{teamName}/{member.User.UserName}", "RoleChanged", member.TeamId, caller, $"Role {member.Role} -> {role}.");
        member.Role = role;
        await db.SaveChangesAsync();
        tokenCache.ForgetUser(userId);
        return Outcome<MemberView>.Ok(new MemberView(member.UserId, member.User.UserName!, member.User.DisplayName, role));
    }

    public async Task<Outcome<bool>> RemoveMemberAsync(ClaimsPrincipal caller, string teamName, string userId)
    {
        if (!TeamAccess.IsAdmin(caller))
        {
            return Outcome<bool>.Forbidden("Only an Admin can change team members.");
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var member = await db.TeamMembers.Include(m => m.User).SingleOrDefaultAsync(m => m.Team.Name == teamName && m.UserId == userId);
        var removed = await db.TeamMembers.Where(m => m.Team.Name == teamName && m.UserId == userId).ExecuteDeleteAsync();
        if (removed > 0 && member is not null)
        {
            Audit(db, AuditSubject.Member, $"{teamName}/{member.User.UserName}", "Removed", member.TeamId, caller, $"Was {member.Role}.");
            await db.SaveChangesAsync();
        }

        tokenCache.ForgetUser(userId);
        return removed == 0 ? Outcome<bool>.NotFound("That user is not a member of this team.") : Outcome<bool>.Ok(true);
    }
}

public sealed record TeamSummary(int Id, string Name, string DisplayName, int MemberCount, int ServiceCount);

public sealed record MemberView(string UserId, string UserName, string DisplayName, TeamRole Role);
