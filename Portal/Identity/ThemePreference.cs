using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Identity;

/// <summary>
/// Dark mode per user account, kept as a user claim in Identity's own claims table: it follows the user to every browser
/// and needs no column of its own.
/// </summary>
public sealed class ThemePreference(IDbContextFactory<PortalDbContext> dbFactory)
{
    public const string ClaimType = "portal:dark-mode";

    public async Task<bool> IsDarkAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.UserClaims.AnyAsync(c => c.UserId == userId && c.ClaimType == ClaimType && c.ClaimValue == "true", cancellationToken);
    }

    public async Task SetDarkAsync(string userId, bool dark, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.UserClaims.RemoveRange(await db.UserClaims.Where(c => c.UserId == userId && c.ClaimType == ClaimType).ToListAsync(cancellationToken));
        if (dark)
        {
            db.UserClaims.Add(new IdentityUserClaim<string> { UserId = userId, ClaimType = ClaimType, ClaimValue = "true" });
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
