using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Identity;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// The real portal on a real Kestrel port with its own temporary data folder (SQLite file, keys), demo data seeded.
/// Settings can be added before the first use to start it configured differently.
/// </summary>
public partial class PortalApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly Dictionary<string, string?> settings = new();
    private readonly List<Action<IServiceCollection>> testServices = [];
    private readonly bool keepData;
    private IServiceScope? scope;

    public PortalApp()
        : this(null)
    {
    }

    /// <param name="dataDirectory">A data folder to reuse (to restart "the same" portal); null for a new temporary one.</param>
    private PortalApp(string? dataDirectory)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("n"));
        keepData = dataDirectory is not null;
        settings["Portal:DataDirectory"] = DataDirectory;
        // The embedded Sandbox plays rollouts 20 times faster, and the apply worker looks often, so tests stay quick.
        settings["Sandbox:Speed"] = "20";
        // Most tests deploy made-up tags (v1, v2-crash) of the demo repositories: without the demo registry they deploy
        // as typed. Tests of the demo registry turn it back on with Sandbox:Registry=true.
        settings["Sandbox:Registry"] = "false";
        settings["Rollouts:PollInterval"] = "00:00:00.200";
        // The demo's deployments take a minute of cluster work: tests of the demo turn them on with Portal:DemoActivity=true.
        settings["Portal:DemoActivity"] = "false";
        // Webhook receivers of the tests listen on loopback, which a portal refuses by default: the tests of that refusal
        // turn it back off with Notifications:AllowPrivateTargets=false.
        settings["Notifications:AllowPrivateTargets"] = "true";
        UseKestrel(0);
    }

    public string DataDirectory { get; }

    /// <summary>A portal on an existing data folder: "the same" portal started again. The folder is left in place.</summary>
    public static PortalApp Reusing(string dataDirectory) => new(dataDirectory);

    /// <summary>Everything the app logged, from any category and level.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Set (before start) to run the app on a clock the test moves.</summary>
    public FakeTimeProvider? Clock { get; set; }

    public Uri BaseAddress { get; private set; } = null!;

    public PortalApp With(string key, string? value)
    {
        settings[key] = value;
        return this;
    }

    /// <summary>Changes the app's services (before start), e.g. to add a database interceptor that stages a race.</summary>
    public PortalApp WithServices(Action<IServiceCollection> configure)
    {
        testServices.Add(configure);
        return this;
    }

    /// <summary>A portal not yet started, on the given database engine.</summary>
    public static PortalApp Create(PortalDatabase database) => database == PortalDatabase.Postgres ? new PostgresPortalApp() : new PortalApp();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        builder.ConfigureTestServices(services =>
        {
            if (Clock is not null)
            {
                services.AddSingleton<TimeProvider>(Clock);
            }

            foreach (var configure in testServices)
            {
                configure(services);
            }
        });
    }

    /// <summary>Starts a portal of its own, for tests that change state other tests would see.</summary>
    public static async Task<PortalApp> StartAsync(params (string Key, string? Value)[] settings) => await StartAsync(null, settings);

    public static async Task<PortalApp> StartAsync(FakeTimeProvider? clock, params (string Key, string? Value)[] settings) =>
        await StartAsync(PortalDatabase.Sqlite, clock, settings);

    /// <summary>Starts a portal of its own on the given database engine (PostgreSQL: a fresh database of the test server).</summary>
    public static async Task<PortalApp> StartAsync(PortalDatabase database, FakeTimeProvider? clock, params (string Key, string? Value)[] settings)
    {
        var app = Create(database);
        app.Clock = clock;
        foreach (var (key, value) in settings)
        {
            app.With(key, value);
        }

        await app.InitializeAsync();
        return app;
    }

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>Prepares what the app needs before it starts (a database), adding settings with <see cref="With"/>.</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Cleans up what <see cref="BeforeStartAsync"/> prepared, after the app stopped.</summary>
    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public override async ValueTask DisposeAsync()
    {
        scope?.Dispose();
        scope = null;
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        await AfterStopAsync();
        if (keepData)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open must not fail the test run; the temp folder is cleaned by the OS.
        }
    }

    /// <summary>An HTTP client with its own cookie jar that does not follow redirects, so tests can see them.</summary>
    public HttpClient CreateBrowserlikeClient() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = BaseAddress };

    /// <summary>Signs in through the real sign-in form (antiforgery token included) and returns the signed-in client.</summary>
    public async Task<HttpClient> SignedInClientAsync(string userName, string password = DemoData.Password)
    {
        var client = CreateBrowserlikeClient();
        var response = await PostSignInAsync(client, userName, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in of {userName} answered {(int)response.StatusCode}, not a redirect.");
        }

        return client;
    }

    public static async Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string userName, string password)
    {
        var page = await client.GetStringAsync("/account/signin");
        var token = AntiforgeryToken().Match(page).Groups[1].Value;
        return await client.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "signin",
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The principal the portal itself builds for a user at sign-in: same claims, same roles.</summary>
    public async Task<ClaimsPrincipal> PrincipalAsync(string userName)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>();
        var user = await users.FindByNameAsync(userName) ?? throw new InvalidOperationException($"No user {userName}.");
        return await signIn.CreateUserPrincipalAsync(user);
    }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        var factory = Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await action(db);
    }

    /// <summary>A service from one scope that lives as long as the app.</summary>
    public T Get<T>()
        where T : notnull => (scope ??= Services.CreateScope()).ServiceProvider.GetRequiredService<T>();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
