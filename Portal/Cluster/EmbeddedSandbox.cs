using Microsoft.Extensions.Options;
using Sandbox;

namespace Portal.Cluster;

/// <summary>
/// The embedded default cluster: a Sandbox on a loopback port with its state and CA in the data folder, and a kubeconfig
/// for it at <c>{data}/sandbox.kubeconfig</c> so that <c>kubectl --kubeconfig</c> shows what the portal did. The portal
/// itself talks to it through that same kubeconfig, over HTTPS, like any other cluster.
/// </summary>
public sealed class EmbeddedSandbox(IOptions<PortalOptions> portal, IOptions<EmbeddedSandboxOptions> options, IWebHostEnvironment environment, ILogger<EmbeddedSandbox> logger) : IHostedService, IAsyncDisposable
{
    private readonly TaskCompletionSource<string> kubeconfig = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SandboxHost? host;

    /// <summary>The kubeconfig path, once the Sandbox serves.</summary>
    public Task<string> KubeconfigAsync => kubeconfig.Task;

    /// <summary>The running host, for tests that inspect it (watch counts); the portal itself never reaches in.</summary>
    internal SandboxHost? Host => host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var data = portal.Value.ResolveDataDirectory(environment.ContentRootPath);
        var time = options.Value.Speed == 1 ? TimeProvider.System : new AcceleratedTimeProvider(options.Value.Speed);
        host = new SandboxHost(new SandboxOptions { Port = options.Value.Port, StateDirectory = Path.Combine(data, "sandbox"), Time = time });
        await host.StartAsync(cancellationToken);
        var path = Path.Combine(data, "sandbox.kubeconfig");
        await host.WriteKubeconfigAsync(path, cancellationToken);
        logger.LogInformation("Embedded Sandbox cluster serving {Url}; kubectl --kubeconfig {Kubeconfig}", host.ServerUrl, path);
        kubeconfig.TrySetResult(path);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref host, null) is { } running)
        {
            await running.DisposeAsync();
        }
    }
}
