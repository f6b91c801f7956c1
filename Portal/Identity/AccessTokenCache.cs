using System.Collections.Concurrent;
using System.Security.Claims;

namespace Portal.Identity;

/// <summary>
/// Who a personal access token acts as, remembered for a few seconds so that an API call does not read the database to
/// authenticate. A revoke forgets the token at once; a change to a user's roles or memberships forgets all of that
/// user's tokens at once. (Another portal instance's cache forgets within <see cref="Lifetime"/>.)
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
        Interlocked.Increment(ref generation);
        byHash.TryRemove(tokenHash, out _);
    }

    /// <summary>Raised by <see cref="ForgetUser"/>, so that what else is cached about the user (<see cref="MembershipCache"/>) goes too.</summary>
    public event Action<string>? UserForgotten;

    public void ForgetUser(string userId)
    {
        Interlocked.Increment(ref generation);
        UserForgotten?.Invoke(userId);
        foreach (var (hash, entry) in byHash.Where(e => e.Value.UserId == userId).ToList())
        {
            byHash.TryRemove(new KeyValuePair<string, Entry>(hash, entry));
        }
    }

    private sealed record Entry(string UserId, ClaimsPrincipal Principal, DateTimeOffset Until);
}
