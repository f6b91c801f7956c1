using Portal.Catalog;
using Portal.Registry;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Registry;

/// <summary>
/// A docker-registry with <c>payments/api</c> pushed (v1, v10, v2 and latest, created in that order of dates: v1, v10,
/// v2, latest) and a portal configured for it, with a <c>locked</c> environment that allows no manual tags.
/// </summary>
public sealed class RegistryPortal : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;

    public ImagePusher Pusher { get; private set; } = null!;

    public PortalApp App { get; private set; } = null!;

    /// <summary>Manifest digests of payments/api by tag.</summary>
    public Dictionary<string, string> Digests { get; } = [];

    /// <summary>How services name the repository: <c>127.0.0.1:port/payments/api</c>.</summary>
    public string Repository => $"{Registry.Host}/payments/api";

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        Pusher = new ImagePusher(Registry.Url);
        Digests["v1"] = await Pusher.PushImageAsync("payments/api", "v1", "2024-01-01T00:00:00Z");
        Digests["v10"] = await Pusher.PushImageAsync("payments/api", "v10", "2024-02-01T00:00:00Z");
        Digests["v2"] = await Pusher.PushImageAsync("payments/api", "v2", "2024-03-01T00:00:00Z");
        Digests["latest"] = await Pusher.PushImageAsync("payments/api", "latest", "2024-03-02T00:00:00Z");
        App = await PortalApp.StartAsync(
            ("Registries:0:Name", "local"),
            ("Registries:0:Url", Registry.Url.ToString()),
            ("Environments:0:Name", "staging"),
            ("Environments:0:ProgressDeadlineSeconds", "60"),
            ("Environments:1:Name", "production"),
            ("Environments:1:RequiresApproval", "true"),
            ("Environments:1:ProgressDeadlineSeconds", "60"),
            ("Environments:2:Name", "locked"),
            ("Environments:2:AllowManualImageTag", "false"));
    }

    /// <summary>Registers a payments service whose image repository is <paramref name="path"/> in this registry.</summary>
    public async Task<Service> RegisterServiceAsync(string name, string path = "payments/api")
    {
        var outcome = await App.Get<ServiceCatalog>().RegisterAsync(await App.PrincipalAsync("alice"), new ServiceForm
        {
            Name = name,
            Team = "payments",
            ImageRepository = $"{Registry.Host}/{path}",
            ContainerPort = 8080,
        });
        Assert.True(outcome.Succeeded, outcome.Message);
        return outcome.Value!;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Pusher.Dispose();
        await Registry.DisposeAsync();
    }
}
