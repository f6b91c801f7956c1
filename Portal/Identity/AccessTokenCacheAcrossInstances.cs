using Portal.Operations;

namespace Portal.Identity;

/// <summary>
/// Tells the other portal instances what this one's <see cref="AccessTokenCache"/> forgot (a revoked token, a user whose
/// roles or memberships changed), and forgets what they tell: a token revoked on one instance is refused by all of them
/// at its next call, not after the cache's lifetime. A single instance has nobody to tell (its bus does nothing).
/// The message names the token by its hash, as the database stores it, never by its secret.
/// </summary>
public sealed class AccessTokenCacheAcrossInstances(AccessTokenCache cache, InstanceBus bus) : IHostedService
{
    private const string Topic = "access-tokens";

    private IDisposable? remote;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (bus.CrossesInstances)
        {
            remote = bus.Subscribe(Topic, Heard);
            cache.ForgottenHere += Tell;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        cache.ForgottenHere -= Tell;
        remote?.Dispose();
        return Task.CompletedTask;
    }

    private void Tell(AccessTokenForget forget) => bus.Publish(Topic, $"{forget.Kind}:{forget.Key}");

    private Task Heard(string message)
    {
        var separator = message.IndexOf(':', StringComparison.Ordinal);
        if (separator > 0 && Enum.TryParse<AccessTokenForgetKind>(message[..separator], out var kind))
        {
            cache.Forget(new AccessTokenForget(kind, message[(separator + 1)..]));
        }

        return Task.CompletedTask;
    }
}
