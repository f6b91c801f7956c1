using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sandbox.Api;
using Sandbox.Controllers;
using Sandbox.Registry;
using Sandbox.Security;
using Sandbox.Store;

namespace Sandbox;

/// <summary>
/// A Kubernetes-compatible cluster in this process: an HTTPS API server on a loopback port with its own CA and a bearer token,
/// in front of a <see cref="ClusterStore"/>. Start it, then reach it with any Kubernetes client through <see cref="KubeconfigYaml"/>.
/// </summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private const string TokenFile = "token";
    private const string StateFileName = "state.json";

    private readonly SandboxOptions options;
    private readonly CertificateAuthority authority;
    private WebApplication? app;

    public SandboxHost(SandboxOptions? options = null)
    {
        this.options = options ?? new SandboxOptions();
        var directory = this.options.StateDirectory is null ? null : Path.GetFullPath(this.options.StateDirectory);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        Store = new ClusterStore(this.options.Time, new ClusterStoreOptions
        {
            StateFile = directory is null ? null : Path.Combine(directory, StateFileName),
            WatchHistory = this.options.WatchHistory,
        });
        this.authority = CertificateAuthority.LoadOrCreate(directory);
        Token = this.options.Token ?? LoadOrCreateToken(directory);
        CaPem = this.authority.CertificatePem;
    }

    /// <summary>The cluster's objects, for in-process inspection; clients should go through the API.</summary>
    public ClusterStore Store { get; }

    /// <summary>The simulated controllers, once started (null when <see cref="SandboxOptions.RunControllers"/> is false).</summary>
    public ControllerManager? Controllers { get; private set; }

    /// <summary>The bearer token the API requires.</summary>
    public string Token { get; }

    /// <summary>The CA certificate (PEM) that signed the server certificate.</summary>
    public string CaPem { get; }

    /// <summary>e.g. https://127.0.0.1:6443; set once <see cref="StartAsync"/> has returned.</summary>
    public string ServerUrl { get; private set; } = "";

    /// <summary>Starts serving; returns once the API answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (this.app is not null)
        {
            throw new InvalidOperationException("The Sandbox is already started.");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SandboxHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        if (this.options.ConsoleLogging)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        var certificate = this.authority.IssueServerCertificate();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, this.options.Port, listen => listen.UseHttps(certificate));
            kestrel.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        // Embedded in another process, the Sandbox must not take over its Ctrl+C and SIGTERM handling.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        var app = builder.Build();
        app.UseBearerToken(Token);
        app.MapKubernetesApi(Store);
        if (this.options.ServeRegistry)
        {
            app.MapDemoRegistry(new DemoImages());
        }

        await app.StartAsync(cancellationToken);
        this.app = app;
        if (this.options.RunControllers)
        {
            Controllers = new ControllerManager(Store, this.options.Simulation,
                app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ControllerManager>());
            Controllers.Start();
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        ServerUrl = $"https://127.0.0.1:{new Uri(address).Port}";
    }

    /// <summary>A kubeconfig whose cluster, user and context are all named <c>sandbox</c>, carrying the CA data and the token.</summary>
    public string KubeconfigYaml()
    {
        if (ServerUrl.Length == 0)
        {
            throw new InvalidOperationException("Start the Sandbox first.");
        }

        var ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(CaPem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sandbox
              cluster:
                server: {ServerUrl}
                certificate-authority-data: {ca}
            users:
            - name: sandbox
              user:
                token: {Token}
            contexts:
            - name: sandbox
              context:
                cluster: sandbox
                user: sandbox
                namespace: default
            current-context: sandbox

            """;
    }

    /// <summary>Writes <see cref="KubeconfigYaml"/> to a file readable by its owner only (it holds the token).</summary>
    public async Task WriteKubeconfigAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, KubeconfigYaml(), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Controllers?.Dispose();
        Controllers = null;
        // Disposal may be asked for twice at once (host shutdown and container disposal): only one stops the app.
        if (Interlocked.Exchange(ref this.app, null) is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Store.Dispose();
        this.authority.Dispose();
    }

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static string LoadOrCreateToken(string? directory)
    {
        var path = directory is null ? null : Path.Combine(directory, TokenFile);
        if (path is not null && File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } kept)
        {
            return kept;
        }

        var token = BearerTokenCheck.NewToken();
        if (path is not null)
        {
            File.WriteAllText(path, token);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return token;
    }
}
