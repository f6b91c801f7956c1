using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Portal.Operations;

/// <summary>Counts open Blazor Server circuits for <c>portal_circuits</c>.</summary>
public sealed class CircuitMetrics : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        PortalMetrics.CircuitOpened(1);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        PortalMetrics.CircuitOpened(-1);
        return Task.CompletedTask;
    }
}
