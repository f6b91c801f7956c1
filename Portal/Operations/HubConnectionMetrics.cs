using Microsoft.AspNetCore.SignalR;

namespace Portal.Operations;

/// <summary>Counts open connections by hub for <c>portal_hub_connections</c> (Blazor's own hub is one per circuit).</summary>
public sealed class HubConnectionMetrics : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        PortalMetrics.HubConnected(context.Hub.GetType().Name, 1);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        PortalMetrics.HubConnected(context.Hub.GetType().Name, -1);
        await next(context, exception);
    }
}
