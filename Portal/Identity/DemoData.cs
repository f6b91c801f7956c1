using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Data;

namespace Portal.Identity;

/// <summary>Seeds the demo teams and users listed on the sign-in page. Idempotent: runs at every start in demo mode.</summary>
public sealed class DemoData(
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    IDbContextFactory<PortalDbContext> dbFactory,
    TimeProvider time)
{
    public const string Password = "Demo123!";

    public static readonly IReadOnlyList<DemoUser> Users =
    [
        new("alice", "Alice Liddell", "payments", TeamRole.Member, false),
        new("bob", "Bob Builder", "payments", TeamRole.Approver, false),
        new("carol", "Carol Danvers", null, null, true),
        new("dave", "Dave Bowman", "search", TeamRole.Member, false),
    ];

    public async Task SeedAsync()
    {
        if (!await roles.RoleExistsAsync(Roles.Admin))
        {
            Check(await roles.CreateAsync(new IdentityRole(Roles.Admin)));
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        foreach (var teamName in new[] { "payments", "search" })
        {
            if (!await db.Teams.AnyAsync(t => t.Name == teamName))
            {
                db.Teams.Add(new Team { Name = teamName, DisplayName = char.ToUpperInvariant(teamName[0]) + teamName[1..], CreatedAt = time.GetUtcNow() });
            }
        }

        await db.SaveChangesAsync();

        foreach (var demo in Users)
        {
            var user = await users.FindByNameAsync(demo.UserName);
            if (user is null)
            {
                user = new PortalUser { UserName = demo.UserName, Email = $"{demo.UserName}@example.com", EmailConfirmed = true, DisplayName = demo.DisplayName };
                Check(await users.CreateAsync(user, Password));
                if (demo.IsAdmin)
                {
                    Check(await users.AddToRoleAsync(user, Roles.Admin));
                }

                if (demo.Team is not null)
                {
                    var team = await db.Teams.SingleAsync(t => t.Name == demo.Team);
                    db.TeamMembers.Add(new TeamMember { TeamId = team.Id, UserId = user.Id, Role = demo.Role!.Value });
                }
            }
        }

        await db.SaveChangesAsync();
        await SeedServicesAsync(db);
    }

    private async Task SeedServicesAsync(PortalDbContext db)
    {
        if (await db.Services.AnyAsync())
        {
            return;
        }

        var payments = await db.Teams.SingleAsync(t => t.Name == "payments");
        var search = await db.Teams.SingleAsync(t => t.Name == "search");
        var now = time.GetUtcNow();
        db.Services.AddRange(
            new Service { TeamId = payments.Id, Name = "payments-api", ImageRepository = "registry.example.com/payments/api", ContainerPort = 8080, Description = "Card payments API", Contacts = "#payments", CreatedAt = now, UpdatedAt = now, CreatedBy = "bob" },
            new Service { TeamId = search.Id, Name = "search-indexer", ImageRepository = "registry.example.com/search/indexer", ContainerPort = 9000, Description = "Builds the product search index", Contacts = "#search", CreatedAt = now, UpdatedAt = now, CreatedBy = "dave" });
        await db.SaveChangesAsync();
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Seeding demo data failed: " + string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}

public sealed record DemoUser(string UserName, string DisplayName, string? Team, TeamRole? Role, bool IsAdmin);
