using System.Collections.Concurrent;
using System.Security.Claims;

namespace Portal.Identity;

/// <summary>
/// Who a personal access token acts as, remembered for a few seconds so that an API call does not read the database to
/// authenticate. A revoke forgets the token at once; a change to a user's roles or memberships forgets all of that
/// user's tokens at once, here and, through <see cref="AccessTokenCacheAcrossInstances"/>, in the other portal instances
/// (an instance cut off from Redis meanwhile forgets within <see cref="Lifetime"/>).
/// </summary>
public sealed class AccessTokenCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> byHash = new(StringComparer.Ordinal);
    private long generation;

    /// <summary>Read before looking a token up; <see cref="Remember"/> ignores what was read before a later forget.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public ClaimsPrincipal? Find(string tokenHash)
    {
        if (!byHash.TryGetValue(tokenHash, out var entry))
        {
            return null;
        }

        if (entry.Until <= time.GetUtcNow())
        {
            byHash.TryRemove(new KeyValuePair<string, Entry>(tokenHash, entry));
            return null;
        }

        // A copy per request: handlers may add claims to the principal they are given.
        return new ClaimsPrincipal(entry.Principal.Identities.Select(i => i.Clone()));
    }

    public void Remember(string tokenHash, string userId, ClaimsPrincipal principal, DateTimeOffset tokenExpiresAt, long observedGeneration)
    {
        var now = time.GetUtcNow();
        if (byHash.Count >= MaxEntries)
        {
            foreach (var (hash, stale) in byHash.Where(e => e.Value.Until <= now).ToList())
            {
                byHash.TryRemove(new KeyValuePair<string, Entry>(hash, stale));
            }

            if (byHash.Count >= MaxEntries)
            {
                return;
            }
        }

        var until = now + Lifetime < tokenExpiresAt ? now + Lifetime : tokenExpiresAt;
        byHash[tokenHash] = new Entry(userId, principal, until);
        if (Generation != observedGeneration)
        {
            // Something was forgotten while this token was being looked up: the lookup may be stale already.
            byHash.TryRemove(tokenHash, out _);
        }
    }

    public void ForgetToken(string tokenHash)
    {
        Forget(AccessTokenForget.Token(tokenHash));
        ForgottenHere?.Invoke(AccessTokenForget.Token(tokenHash));
    }

    /// <summary>Raised by <see cref="ForgetUser"/> (and a user forgotten in another instance), so that what else is cached about the user (<see cref="MembershipCache"/>) goes too.</summary>
    public event Action<string>? UserForgotten;

    /// <summary>Raised by <see cref="ForgetToken"/> (and a token forgotten in another instance), with the token's hash: connections opened with it close (<see cref="Rollouts.RolloutHubConnections"/>).</summary>
    public event Action<string>? TokenForgotten;

    /// <summary>Raised by a forget asked for in this instance, not by one heard from another: what the other instances are told.</summary>
    public event Action<AccessTokenForget>? ForgottenHere;

    public void ForgetUser(string userId)
    {
        Forget(AccessTokenForget.User(userId));
        ForgottenHere?.Invoke(AccessTokenForget.User(userId));
    }

    /// <summary>What another instance forgot: forgotten here too, and not told again.</summary>
    public void Forget(AccessTokenForget forget)
    {
        Interlocked.Increment(ref generation);
        if (forget.Kind == AccessTokenForgetKind.Token)
        {
            byHash.TryRemove(forget.Key, out _);
            TokenForgotten?.Invoke(forget.Key);
            return;
        }

        UserForgotten?.Invoke(forget.Key);
        foreach (var (hash, entry) in byHash.Where(e => e.Value.UserId == forget.Key).ToList())
        {
            byHash.TryRemove(new KeyValuePair<string, Entry>(hash, entry));
        }
    }

    private sealed record Entry(string UserId, ClaimsPrincipal Principal, DateTimeOffset Until);
}

public enum AccessTokenForgetKind
{
    /// <summary>One token (by its hash): it was revoked.</summary>
    Token,

    /// <summary>Every token of a user (by id): the user's roles or memberships changed.</summary>
    User,
}

/// <summary>What an <see cref="AccessTokenCache"/> forgets, as one instance tells the others.</summary>
public readonly record struct AccessTokenForget(AccessTokenForgetKind Kind, string Key)
{
    public static AccessTokenForget Token(string tokenHash) => new(AccessTokenForgetKind.Token, tokenHash);

    public static AccessTokenForget User(string userId) => new(AccessTokenForgetKind.User, userId);
}
