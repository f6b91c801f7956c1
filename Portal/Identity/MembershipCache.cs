using System.Collections.Concurrent;

namespace Portal.Identity;

/// <summary>
/// Each user's team roles, remembered for a few seconds so that an access check does not read the database. Every
/// change of a user's memberships or roles goes through <see cref="AccessTokenCache.ForgetUser"/>, which forgets that
/// user here too, at once, and in the other portal instances as soon as they hear of it
/// (<see cref="AccessTokenCacheAcrossInstances"/>), as for tokens.
/// </summary>
public sealed class MembershipCache
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> byUser = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private long generation;

    public MembershipCache(AccessTokenCache tokens, TimeProvider time)
    {
        this.time = time;
        tokens.UserForgotten += Forget;
    }

    /// <summary>Read before looking the roles up; <see cref="Remember"/> ignores what was read before a later forget.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public IReadOnlyDictionary<int, TeamRole>? Find(string userId)
    {
        if (!byUser.TryGetValue(userId, out var entry))
        {
            return null;
        }

        if (entry.Until <= time.GetUtcNow())
        {
            byUser.TryRemove(KeyValuePair.Create(userId, entry));
            return null;
        }

        return entry.Roles;
    }

    public void Remember(string userId, IReadOnlyDictionary<int, TeamRole> roles, long observedGeneration)
    {
        if (byUser.Count >= MaxEntries)
        {
            var now = time.GetUtcNow();
            foreach (var (user, stale) in byUser.Where(e => e.Value.Until <= now).ToList())
            {
                byUser.TryRemove(KeyValuePair.Create(user, stale));
            }

            if (byUser.Count >= MaxEntries)
            {
                return;
            }
        }

        var entry = new Entry(roles, time.GetUtcNow() + AccessTokenCache.Lifetime);
        byUser[userId] = entry;
        if (Generation != observedGeneration)
        {
            // A change was made while the roles were being read: what was read may be stale already.
            byUser.TryRemove(KeyValuePair.Create(userId, entry));
        }
    }

    public void Forget(string userId)
    {
        Interlocked.Increment(ref generation);
        byUser.TryRemove(userId, out _);
    }

    private sealed record Entry(IReadOnlyDictionary<int, TeamRole> Roles, DateTimeOffset Until);
}
