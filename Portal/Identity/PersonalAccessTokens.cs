using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Identity;

public sealed record TokenView(int Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>The token text, returned once at creation and never again.</summary>
public sealed record CreatedToken(TokenView Token, string Secret);

/// <summary>A valid token's owner and when the token expires.</summary>
public sealed record TokenOwner(string UserId, DateTimeOffset ExpiresAt);

/// <summary>Creates, lists, revokes and checks personal access tokens.</summary>
public sealed class PersonalAccessTokens(IDbContextFactory<PortalDbContext> dbFactory, AccessTokenCache cache, TimeProvider time)
{
    public const string Scheme = "PersonalAccessToken";
    public const string TokenPrefix = "pat_";

    /// <summary>The <c>HttpContext.Items</c> key under which a request authenticated by a token keeps the token's hash.</summary>
    public const string HashItem = "portal.access-token-hash";
    public const int MaxLifetimeDays = 365;

    public async Task<Outcome<CreatedToken>> CreateAsync(ClaimsPrincipal user, string name, int lifetimeDays)
    {
        var userId = TeamAccess.UserId(user);
        if (userId is null)
        {
            return Outcome<CreatedToken>.Forbidden("Sign in to create tokens.");
        }

        name = name.Trim();
        if (name.Length is 0 or > 100)
        {
            return Outcome<CreatedToken>.Invalid("Name", "Name the token (up to 100 characters), e.g. the pipeline that uses it.");
        }

        if (lifetimeDays is < 1 or > MaxLifetimeDays)
        {
            return Outcome<CreatedToken>.Invalid("LifetimeDays", $"A token lives between 1 and {MaxLifetimeDays} days.");
        }

        var secret = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var token = new PersonalAccessToken
        {
            UserId = userId,
            Name = name,
            Hash = HashOf(secret),
            Prefix = secret[..(TokenPrefix.Length + 6)],
            CreatedAt = now,
            ExpiresAt = now.AddDays(lifetimeDays),
        };
        await using var db = await dbFactory.CreateDbContextAsync();
        db.PersonalAccessTokens.Add(token);
        Releases.AuditLog.Record(db, Requests.AuditSubject.Token, $"{user.Identity?.Name}/{name}", "Created", null, user.Identity?.Name ?? "", now, $"Expires {token.ExpiresAt:yyyy-MM-dd}.");
        await db.SaveChangesAsync();
        return Outcome<CreatedToken>.Ok(new CreatedToken(View(token), secret));
    }

    public async Task<IReadOnlyList<TokenView>> ListAsync(ClaimsPrincipal user)
    {
        var userId = TeamAccess.UserId(user);
        await using var db = await dbFactory.CreateDbContextAsync();
        var tokens = await db.PersonalAccessTokens.Where(t => t.UserId == userId).OrderByDescending(t => t.Id).ToListAsync();
        return [.. tokens.Select(View)];
    }

    public async Task<Outcome<bool>> RevokeAsync(ClaimsPrincipal user, int tokenId)
    {
        var userId = TeamAccess.UserId(user);
        await using var db = await dbFactory.CreateDbContextAsync();
        var token = await db.PersonalAccessTokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId);
        if (token is null)
        {
            return Outcome<bool>.NotFound("You have no such token.");
        }

        token.RevokedAt ??= time.GetUtcNow();
        Releases.AuditLog.Record(db, Requests.AuditSubject.Token, $"{user.Identity?.Name}/{token.Name}", "Revoked", null, user.Identity?.Name ?? "", time.GetUtcNow());
        await db.SaveChangesAsync();
        cache.ForgetToken(token.Hash);
        return Outcome<bool>.Ok(true);
    }

    /// <summary>The owner of a valid (known, unrevoked, unexpired) token, or null.</summary>
    public async Task<TokenOwner?> OwnerOfAsync(string secret, CancellationToken cancellationToken)
    {
        if (!secret.StartsWith(TokenPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var hash = HashOf(secret);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = await db.PersonalAccessTokens.SingleOrDefaultAsync(t => t.Hash == hash, cancellationToken);
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now)
        {
            return null;
        }

        // One write a minute at most per token: the last-used time is a hint, not an audit trail.
        if (token.LastUsedAt is null || now - token.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        return new TokenOwner(token.UserId, token.ExpiresAt);
    }

    private static TokenView View(PersonalAccessToken t) => new(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt);

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
