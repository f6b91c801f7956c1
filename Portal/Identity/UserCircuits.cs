using Microsoft.AspNetCore.Components;

namespace Portal.Identity;

/// <summary>
/// The open interactive pages (Blazor circuits) of each user in this instance. A circuit keeps the access it was opened
/// with, so when a user's team memberships or roles change (here or in another instance, <see cref="AccessTokenCache.UserForgotten"/>)
/// each of their pages reloads: the new page load checks access again, and a page of a team they left shows that it is
/// not theirs any more instead of going on showing (and streaming) its data.
/// </summary>
public sealed class UserCircuits
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Dictionary<object, Func<Task>>> byUser = new(StringComparer.Ordinal);
    private readonly ILogger<UserCircuits> logger;

    public UserCircuits(AccessTokenCache access, ILogger<UserCircuits> logger)
    {
        this.logger = logger;
        access.UserForgotten += Reload;
    }

    /// <summary>
    /// Adds a page of <paramref name="userId"/>, reloaded through <paramref name="navigation"/> on its component's
    /// dispatcher (<paramref name="dispatch"/>, the component's InvokeAsync). Disposing removes it.
    /// </summary>
    public IDisposable Register(string userId, NavigationManager navigation, Func<Action, Task> dispatch)
    {
        Func<Task> reload = () => dispatch(() => navigation.Refresh(forceReload: true));
        var key = new object();
        lock (gate)
        {
            if (!byUser.TryGetValue(userId, out var pages))
            {
                byUser[userId] = pages = [];
            }

            pages[key] = reload;
        }

        return new Registration(this, userId, key);
    }

    /// <summary>How many pages of <paramref name="userId"/> are open here (for tests).</summary>
    internal int CountFor(string userId)
    {
        lock (gate)
        {
            return byUser.TryGetValue(userId, out var pages) ? pages.Count : 0;
        }
    }

    private void Reload(string userId)
    {
        List<Func<Task>> reloads;
        lock (gate)
        {
            reloads = byUser.TryGetValue(userId, out var pages) ? [.. pages.Values] : [];
        }

        foreach (var reload in reloads)
        {
            _ = ReloadAsync(reload, userId);
        }
    }

    private async Task ReloadAsync(Func<Task> reload, string userId)
    {
        try
        {
            await reload();
        }
        catch (Exception e)
        {
            // A page whose circuit is already going away: nothing to reload.
            logger.LogDebug(e, "Reloading a page of user {UserId} after an access change failed", userId);
        }
    }

    private void Remove(string userId, object key)
    {
        lock (gate)
        {
            if (byUser.TryGetValue(userId, out var pages) && pages.Remove(key) && pages.Count == 0)
            {
                byUser.Remove(userId);
            }
        }
    }

    private sealed class Registration(UserCircuits owner, string userId, object key) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Remove(userId, key);
            }
        }
    }
}
