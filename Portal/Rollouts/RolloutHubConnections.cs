using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Portal.Identity;

namespace Portal.Rollouts;

/// <summary>
/// The rollout hub's lifetime manager (SignalR's own, or the Redis backplane's, which does all the work) with a list of
/// this instance's connections beside it: <see cref="RolloutRooms"/> writes to them directly, and a closed one leaves
/// its rooms. Access is checked when a connection joins a rollout; a connection whose access may have changed since (its
/// token revoked, its user's roles or memberships changed, here or in another instance) is closed, and a client that
/// connects again is checked again.
/// </summary>
public sealed class RolloutHubConnections : HubLifetimeManager<RolloutHub>
{
    private readonly ConcurrentDictionary<string, Open> connections = new(StringComparer.Ordinal);
    private readonly HubLifetimeManager<RolloutHub> inner;
    private readonly RolloutRooms rooms;
    private readonly ILogger<RolloutHubConnections> logger;

    public RolloutHubConnections(HubLifetimeManager<RolloutHub> inner, RolloutRooms rooms, AccessTokenCache access, ILogger<RolloutHubConnections> logger)
    {
        this.inner = inner;
        this.rooms = rooms;
        this.logger = logger;
        access.TokenForgotten += hash => Close(open => open.TokenHash == hash, "its access token was revoked");
        access.UserForgotten += userId => Close(open => open.UserId == userId, "its user's roles or team memberships changed");
    }

    /// <summary>Registers this manager around whichever one SignalR was given (looked up when the hub first needs it).</summary>
    internal static void Register(IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            var open = services.LastOrDefault(d => d.ServiceType == typeof(HubLifetimeManager<>))?.ImplementationType ?? typeof(DefaultHubLifetimeManager<>);
            var inner = (HubLifetimeManager<RolloutHub>)ActivatorUtilities.CreateInstance(provider, open.MakeGenericType(typeof(RolloutHub)));
            return new RolloutHubConnections(inner, provider.GetRequiredService<RolloutRooms>(), provider.GetRequiredService<AccessTokenCache>(), provider.GetRequiredService<ILogger<RolloutHubConnections>>());
        });
        services.AddSingleton<HubLifetimeManager<RolloutHub>>(provider => provider.GetRequiredService<RolloutHubConnections>());
    }

    /// <summary>This instance's connection with that id, if it is still open.</summary>
    public HubConnectionContext? Find(string connectionId) => connections.GetValueOrDefault(connectionId)?.Connection;

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        var tokenHash = connection.GetHttpContext()?.Items[PersonalAccessTokens.HashItem] as string;
        connections[connection.ConnectionId] = new Open(connection, connection.User.FindFirstValue(ClaimTypes.NameIdentifier), tokenHash);
        await inner.OnConnectedAsync(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        connections.TryRemove(connection.ConnectionId, out _);
        rooms.Disconnected(connection.ConnectionId);
        await inner.OnDisconnectedAsync(connection);
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        inner.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        inner.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        inner.AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        inner.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken) =>
        inner.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, CompletionMessage result) =>
        inner.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [NotNullWhen(true)] out Type? type) =>
        inner.TryGetReturnType(invocationId, out type);

    private void Close(Func<Open, bool> concerned, string why)
    {
        foreach (var open in connections.Values.Where(concerned))
        {
            logger.LogInformation("Closing hub connection {ConnectionId}: {Reason}", open.Connection.ConnectionId, why);
            open.Connection.Abort();
        }
    }

    private sealed record Open(HubConnectionContext Connection, string? UserId, string? TokenHash);
}
