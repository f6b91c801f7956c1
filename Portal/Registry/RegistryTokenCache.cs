using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;

namespace Portal.Registry;

/// <summary>
/// Bearer tokens per registry and scope, kept until shortly before they expire, and which registries asked for Basic
/// auth, so that later requests carry the right header at once instead of paying a 401 round trip each time.
/// </summary>
public sealed class RegistryTokenCache(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Registry, string Scope), (string Token, DateTimeOffset ExpiresAt)> tokens = new();
    private readonly ConcurrentDictionary<string, bool> basicRegistries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Registry, string Scope), Lazy<Task<RegistryResult<AuthenticationHeaderValue>>>> fetches = new();

    /// <summary>The header to send up front, if this registry's scheme is known; null sends the request anonymously.</summary>
    internal AuthenticationHeaderValue? Find(RegistryEndpoint registry, string scope)
    {
        if (basicRegistries.ContainsKey(registry.Name))
        {
            return Basic(registry);
        }

        if (tokens.TryGetValue((registry.Name, scope), out var cached))
        {
            if (cached.ExpiresAt > time.GetUtcNow())
            {
                return new AuthenticationHeaderValue("Bearer", cached.Token);
            }

            tokens.TryRemove(new((registry.Name, scope), cached));
        }

        return null;
    }

    internal AuthenticationHeaderValue Store(RegistryEndpoint registry, string scope, string token, TimeSpan lifetime)
    {
        // Renew a little early: a token that expires in flight costs a failed request and a second token round trip.
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, lifetime.Ticks / 10));
        tokens[(registry.Name, scope)] = (token, time.GetUtcNow() + lifetime - margin);
        return new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Drops a token the registry refused, unless another request has already replaced it.</summary>
    internal void Forget(RegistryEndpoint registry, string scope, AuthenticationHeaderValue rejected)
    {
        var key = (registry.Name, scope);
        if (tokens.TryGetValue(key, out var cached) && cached.Token == rejected.Parameter)
        {
            tokens.TryRemove(new(key, cached));
        }
    }

    /// <summary>
    /// Runs one token fetch per registry and scope at a time; concurrent callers wait for it. The fetch must not
    /// depend on any one caller's cancellation, which only stops that caller's wait.
    /// </summary>
    internal async Task<RegistryResult<AuthenticationHeaderValue>> FetchOnceAsync(
        RegistryEndpoint registry, string scope, Func<Task<RegistryResult<AuthenticationHeaderValue>>> fetch, CancellationToken cancellationToken)
    {
        var key = (registry.Name, scope);
        var shared = fetches.GetOrAdd(key, _ => new(fetch));
        try
        {
            return await shared.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            fetches.TryRemove(new(key, shared));
        }
    }

    internal AuthenticationHeaderValue UseBasic(RegistryEndpoint registry)
    {
        basicRegistries[registry.Name] = true;
        return Basic(registry);
    }

    internal static AuthenticationHeaderValue Basic(RegistryEndpoint registry) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}")));
}
