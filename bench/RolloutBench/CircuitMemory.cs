// (d) Live rollout pages in headless Chromium: retained managed memory and RSS per Blazor circuit.
// The portal runs in this process (Release, embedded Sandbox), so GC.GetTotalMemory after a full collection measures
// what the circuits keep. Each page is an iframe of one Chromium tab: one document, one circuit, far cheaper for the
// browser than a tab each. Rollouts stay in progress for the whole run (a never-ready tag, a long deadline).
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Portal.Catalog;
using Portal.Identity;

namespace RolloutBench;

public static class CircuitMemory
{
    /// <summary>Prints retained managed memory and RSS per live rollout circuit at each count in <paramref name="counts"/>.</summary>
    /// <param name="emptyPage">Open the rollout page of a request that does not exist instead: the layout and circuit alone.</param>
    public static async Task RunAsync(IReadOnlyList<int> counts, int rollouts = 10, bool emptyPage = false)
    {
        await using var portal = new BenchPortal();
        portal.StartServer();
        var address = new Uri(portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        if (Environment.GetEnvironmentVariable("CIRCUIT_BENCH_PAGES") is { Length: > 0 } pages)
        {
            counts = [.. pages.Split(',').Select(int.Parse)];
        }

        emptyPage |= Environment.GetEnvironmentVariable("CIRCUIT_BENCH_EMPTY_PAGE") == "1";
        var ids = emptyPage ? [999_999] : await StartRolloutsAsync(portal, address, rollouts);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-renderer-backgrounding", "--disable-background-timer-throttling"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString() });
        await SignInAsync(context, "alice");

        Console.WriteLine(emptyPage
            ? "(d, reference) the rollout page of a request that does not exist: layout and circuit alone; iframes in headless Chromium"
            : $"(d) live rollout pages: {rollouts} rollouts in progress, pages spread over them; iframes in headless Chromium");
        Console.WriteLine($"{"pages",6} {"managed before",15} {"managed after",14} {"per circuit",12} {"RSS per circuit",16} {"open time",10}");
        foreach (var count in counts)
        {
            // Warm up: one page opened and closed, so JIT and first-use caches are not counted as circuit memory.
            await OpenAsync(context, ids, 1, close: true);
            var (managedBefore, rssBefore) = Measure();
            await GcDumpAsync($"{count}-before");
            var started = Stopwatch.GetTimestamp();
            var page = await OpenAsync(context, ids, count, close: false);
            var opened = Stopwatch.GetElapsedTime(started);
            // Let the circuits settle: rollouts keep publishing while nothing is asked of them.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var (managedAfter, rssAfter) = Measure();
            await GcDumpAsync($"{count}-after");
            Console.WriteLine($"{count,6} {Mb(managedBefore),15} {Mb(managedAfter),14} {Kb((managedAfter - managedBefore) / count),12} {Kb((rssAfter - rssBefore) / count),16} {opened.TotalSeconds,8:F1} s");
            await page!.CloseAsync();
            // Circuits of closed pages are kept for a while for reconnection (DisconnectedCircuitRetentionPeriod): wait
            // until the next measurement's baseline does not carry them.
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }

    private static async Task<IPage?> OpenAsync(IBrowserContext context, IReadOnlyList<int> ids, int count, bool close)
    {
        var page = await context.NewPageAsync();
        var html = string.Concat(Enumerable.Range(0, count).Select(i => $"<iframe src=\"/rollouts/{ids[i % ids.Count]}\" width=\"400\" height=\"300\"></iframe>"));
        await page.GotoAsync("/healthz");
        // Hundreds of frames take minutes to load on a busy machine: wait for each frame's circuit instead of the load event.
        await page.SetContentAsync($"<html><body>{html}</body></html>", new PageSetContentOptions { WaitUntil = WaitUntilState.Commit, Timeout = 0 });
        await page.WaitForFunctionAsync($"document.querySelectorAll('iframe').length === {count}", null, new PageWaitForFunctionOptions { Timeout = 0 });
        var frames = page.Locator("iframe");
        for (var i = 0; i < count; i++)
        {
            await frames.Nth(i).ContentFrame.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 0, State = WaitForSelectorState.Attached });
        }

        if (close)
        {
            await page.CloseAsync();
            return null;
        }

        return page;
    }

    /// <summary>
    /// With CIRCUIT_BENCH_GCDUMP=folder, writes a dotnet-gcdump of this process (portal and circuits) there, to see which
    /// types the circuits keep; the figures printed are measured before it.
    /// </summary>
    private static async Task GcDumpAsync(string name)
    {
        if (Environment.GetEnvironmentVariable("CIRCUIT_BENCH_GCDUMP") is not { Length: > 0 } folder)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
        using var gcdump = Process.Start(tool, ["collect", "-p", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", Path.Combine(folder, $"{name}.gcdump")]);
        await gcdump.WaitForExitAsync();
    }

    private static (long Managed, long Rss) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }

    private static async Task<List<int>> StartRolloutsAsync(BenchPortal portal, Uri address, int count)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var principal = await scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>().CreateUserPrincipalAsync((await users.FindByNameAsync("alice"))!);
        var token = await scope.ServiceProvider.GetRequiredService<PersonalAccessTokens>().CreateAsync(principal, "circuit-bench", 1);
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Value!.Secret);
        var catalog = scope.ServiceProvider.GetRequiredService<ServiceCatalog>();
        var ids = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var name = $"bench-{i:D2}";
            var registered = await catalog.RegisterAsync(principal, new ServiceForm { Name = name, Team = "payments", ImageRepository = $"registry.example.com/payments/{name}", ContainerPort = 8080 });
            if (!registered.Succeeded)
            {
                throw new InvalidOperationException(registered.Message);
            }

            // Never ready: the rollout stays in progress (3 new pods, each not ready) for as long as the bench runs.
            var response = await client.PostAsJsonAsync($"/api/services/payments/{name}/environments/staging/requests", new { imageTag = "v1-unready", replicas = 3 });
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"Submit answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32());
        }

        return ids;
    }

    private static async Task SignInAsync(IBrowserContext context, string user)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", "Demo123!");
        await page.ClickAsync("#signin-submit");
        await page.WaitForURLAsync(url => !url.Contains("/account/signin", StringComparison.Ordinal));
        await page.CloseAsync();
    }

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:F1} MB";

    private static string Kb(long bytes) => $"{bytes / 1024.0:F0} KB";

    private sealed class BenchPortal : WebApplicationFactory<Program>
    {
        private readonly string data = Path.Combine(Path.GetTempPath(), "rollout-bench-circuits", Guid.NewGuid().ToString("n"));

        public BenchPortal() => UseKestrel(0);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            // Not published: serve MudBlazor's and Blazor's scripts from the build output, as `dotnet run` does.
            builder.UseStaticWebAssets();
            builder.UseSetting("Portal:DataDirectory", data);
            // Made-up tags (v1-unready) deploy as typed, and the demo's own rollouts do not run beside the measurement.
            builder.UseSetting("Sandbox:Registry", "false");
            builder.UseSetting("Portal:DemoActivity", "false");
            builder.UseSetting("Environments:0:Name", "staging");
            builder.UseSetting("Environments:0:ProgressDeadlineSeconds", "36000");
            builder.UseSetting("Environments:1:Name", "production");
            builder.UseSetting("Environments:1:RequiresApproval", "true");
            // The figures alone on stdout: appsettings.json's Information level would win over a minimum level set here.
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.ConfigureLogging(logging => logging.ClearProviders().AddConsole());
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
