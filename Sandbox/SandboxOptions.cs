using Sandbox.Controllers;

namespace Sandbox;

/// <summary>How a <see cref="SandboxHost"/> runs.</summary>
public sealed class SandboxOptions
{
    /// <summary>Loopback HTTPS port; 0 picks a free one (see <see cref="SandboxHost.ServerUrl"/>).</summary>
    public int Port { get; init; }

    /// <summary>
    /// Where the cluster keeps its state (state.json), its CA (ca.crt, ca.key) and its token (token), so it survives restarts;
    /// null keeps everything in memory for the life of the host.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>The bearer token clients must send; null uses the one kept in the state directory, or a new random one.</summary>
    public string? Token { get; init; }

    /// <summary>The cluster's clock: the system clock, an <see cref="AcceleratedTimeProvider"/>, or a fake one in tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How many changes watches can resume from; an older resourceVersion gets 410 Gone.</summary>
    public int WatchHistory { get; init; } = 1000;

    /// <summary>
    /// Run the simulated controllers (deployment, replicaset, scheduler, kubelet, HPA) with the host. Default true;
    /// tests of the API alone turn them off so nothing but the test writes objects.
    /// </summary>
    public bool RunControllers { get; init; } = true;

    /// <summary>How the simulated cluster behaves (nodes, image rules, timings); see <see cref="SimulationOptions"/>.</summary>
    public SimulationOptions Simulation { get; init; } = new();

    /// <summary>
    /// Also serve a read-only OCI distribution API under <c>/v2/</c> (no token) holding the demo images
    /// (<see cref="Registry.DemoImages"/>), so that a portal can list their tags and pin their digests. Default true.
    /// </summary>
    public bool ServeRegistry { get; init; } = true;

    /// <summary>Write request logs to the console (the standalone entry point does).</summary>
    public bool ConsoleLogging { get; init; }
}
