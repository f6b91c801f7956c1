using Microsoft.Extensions.Options;
using Portal.Registry;
using Sandbox;
using Sandbox.Controllers;

namespace Portal.Cluster;

/// <summary>
/// The embedded default cluster: a Sandbox on a loopback port with its state and CA in the data folder, and a kubeconfig
/// for it at <c>{data}/sandbox.kubeconfig</c> so that <c>kubectl --kubeconfig</c> shows what the portal did. The portal
/// itself talks to it through that same kubeconfig, over HTTPS, like any other cluster.
/// </summary>
/// <remarks>
/// Its simulated kubelet asks the portal's registries whether an image exists, so that a tag missing from a configured
/// registry fails the pull (ErrImagePull) as on a real cluster. Both are singletons, and the catalog needs nothing from
/// the cluster, so taking it here makes no cycle.
/// </remarks>
public sealed class EmbeddedSandbox(
    IOptions<PortalOptions> portal,
    IOptions<EmbeddedSandboxOptions> options,
    IOptions<RegistryOptions> registries,
    ImageCatalog images,
    IWebHostEnvironment environment,
    ILogger<EmbeddedSandbox> logger) : IHostedService, IAsyncDisposable
{
    /// <summary>The made-up host the demo services' image repositories name; the Sandbox's registry answers for it.</summary>
    public const string DemoRegistryHost = "registry.example.com";

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
        var state = Path.Combine(data, "sandbox");
        var serveRegistry = options.Value.Registry && portal.Value.SeedDemoData && registries.Value.Registries.Count == 0;
        host = new SandboxHost(new SandboxOptions
        {
            Port = options.Value.Port,
            StateDirectory = state,
            Time = time,
            ServeRegistry = serveRegistry,
            Simulation = new SimulationOptions { ImageExists = ImageExistsAsync },
        });
        await host.StartAsync(cancellationToken);
        if (serveRegistry)
        {
            // As if configured under Registries (like the kubeconfig, it exists only once the Sandbox serves): the demo
            // services' host maps to the Sandbox's /v2/ API, whose certificate the Sandbox's CA (ca.crt) signed.
            images.AddRegistry(new RegistryEndpoint { Name = "sandbox", Url = host.ServerUrl, Host = DemoRegistryHost, CaCertificateFile = Path.Combine(state, "ca.crt") });
            logger.LogInformation("Embedded Sandbox registry serving the demo images of {Host} at {Url}/v2/", DemoRegistryHost, host.ServerUrl);
        }

        var path = Path.Combine(data, "sandbox.kubeconfig");
        await host.WriteKubeconfigAsync(path, cancellationToken);
        logger.LogInformation("Embedded Sandbox cluster serving {Url}; kubectl --kubeconfig {Kubeconfig}", host.ServerUrl, path);
        kubeconfig.TrySetResult(path);
    }

    /// <summary>
    /// Whether the registry holds the image (<c>repo:tag</c>, <c>repo:tag@digest</c> or <c>repo@digest</c>). Repositories
    /// without a configured registry, and registries that cannot answer, count as "exists": the portal cannot tell.
    /// </summary>
    internal async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        var at = image.IndexOf('@');
        var digest = at < 0 ? null : image[(at + 1)..];
        var named = at < 0 ? image : image[..at];
        var colon = named.LastIndexOf(':');
        var hasTag = colon > named.LastIndexOf('/');
        var repository = hasTag ? named[..colon] : named;
        var tag = hasTag ? named[(colon + 1)..] : digest is null ? "latest" : null;
        if (tag is null || images.RegistryNameFor(repository) is null)
        {
            return true;
        }

        // Asked now, as a kubelet pulling would: a cached answer could hide a tag deleted since the request was approved.
        var resolution = await images.ResolveAsync(repository, tag, TimeSpan.Zero, cancellationToken);
        if (resolution.Status is RegistryStatus.TagNotFound or RegistryStatus.RepositoryNotFound)
        {
            logger.LogInformation("Sandbox pull of {Image} fails: {Message}", image, resolution.Message);
            return false;
        }

        return true;
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
