using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Identity;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;
using Sandbox;
using Sandbox.Store;
using static RolloutBench.Stats;

namespace RolloutBench;

/// <summary>The Sandbox, the portal process and the clients that measure them.</summary>
public sealed class Bench : IAsyncDisposable
{
    private const string Team = "payments";
    private const string Service = "payments-api";
    private const string Environment = "production";
    private const string Namespace = "payments-production";
    private static readonly TimeSpan Merge = TimeSpan.FromMilliseconds(50);

    // A rollout during which the portal compiles no more methods than this counts as warm (a fresh portal compiles
    // over 1,000 per rollout at first).
    private const int WarmJitMethods = 150;

    private readonly DirectoryInfo folder;
    private readonly SandboxHost sandbox;
    private readonly Process portal;
    private readonly Uri baseAddress;
    private readonly IKubernetes kube;
    private readonly RawWatch raw;
    private readonly HttpClient alice;
    private readonly HttpClient bob;
    private readonly string aliceToken;
    private readonly string protocol;
    private int rollouts;
    private string? postgresDatabase;

    // Section (f): a second portal process and the redis-server both portals share (null unless asked for).
    private Process? second;
    private Uri? secondAddress;
    private Process? redis;

    private Bench(DirectoryInfo folder, SandboxHost sandbox, Process portal, Uri baseAddress, IKubernetes kube, string aliceToken, string bobToken, string protocol)
    {
        this.protocol = protocol;
        this.folder = folder;
        this.sandbox = sandbox;
        this.portal = portal;
        this.baseAddress = baseAddress;
        this.kube = kube;
        this.aliceToken = aliceToken;
        raw = RawWatch.Start(kube, Namespace);
        alice = Client(aliceToken);
        bob = Client(bobToken);
    }

    /// <summary>The database engine the portal runs on: Sqlite (a file in its data folder) or Postgres.</summary>
    public string Provider { get; private set; } = "Sqlite";

    public static async Task<Bench> StartAsync(BenchOptions options, string provider = "Sqlite")
    {
        var repository = FindRepository();
        var folder = Directory.CreateTempSubdirectory("rollout-bench");
        var sandbox = new SandboxHost(new SandboxOptions { Port = FreePort(), StateDirectory = Path.Combine(folder.FullName, "sandbox"), Time = new AcceleratedTimeProvider(options.Speed) });
        await sandbox.StartAsync();
        var kubeconfig = Path.Combine(folder.FullName, "sandbox.kubeconfig");
        await sandbox.WriteKubeconfigAsync(kubeconfig);

        var data = Path.Combine(folder.FullName, "portal");
        var port = FreePort();
        var portalDll = Path.Combine(AppContext.BaseDirectory, "Portal.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.Combine(repository, "Portal"), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(portalDll);
        Process? redis = null;
        if (options.Sections.Contains("f"))
        {
            // Two instances: both portals on one Redis (backplane and notifiers) and one Lease; this first one leads.
            var redisPort = FreePort();
            redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]) { RedirectStandardOutput = true })
                ?? throw new InvalidOperationException("redis-server did not start.");
            await WaitListeningAsync(redisPort);
            using (var admin = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)))
            {
                await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "selfservice" } });
            }

            start.Environment["ConnectionStrings__Redis"] = $"127.0.0.1:{redisPort}";
            start.Environment["Leadership__Enabled"] = "true";
            start.Environment["Leadership__Namespace"] = "selfservice";
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Portal__DataDirectory"] = data;
        // The demo users sign in, but the demo's own deploys would compete with what is measured.
        start.Environment["Portal__DemoActivity"] = "false";
        string? postgres = null;
        if (provider == "Postgres")
        {
            // The tests' PostgreSQL 15 on a loopback port (Portal.Tests/Infrastructure/PostgresServer.cs), a fresh database.
            postgres = await (await PostgresServer.Shared).CreateDatabaseAsync("bench");
            start.Environment["Database__Provider"] = "Postgres";
            start.Environment["ConnectionStrings__Portal"] = postgres;
        }

        start.Environment["Clusters__default__Kubeconfig"] = kubeconfig;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        if (System.Environment.GetEnvironmentVariable("ROLLOUT_BENCH_TRACE") is not null)
        {
            start.Environment["Logging__LogLevel__Portal.Rollouts.RolloutTracker"] = "Debug";
            start.Environment["Logging__Console__FormatterName"] = "simple";
        }
        // Runtime settings to try on the portal alone (not on this process), e.g. ROLLOUT_BENCH_PORTAL_ENV="DOTNET_gcServer=0;DOTNET_GCgen0size=0x2000000".
        foreach (var setting in (System.Environment.GetEnvironmentVariable("ROLLOUT_BENCH_PORTAL_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var nameAndValue = setting.Split('=', 2);
            start.Environment[nameAndValue[0]] = nameAndValue.ElementAtOrDefault(1) ?? "";
            Console.WriteLine($"portal environment: {setting}");
        }

        var portal = Process.Start(start) ?? throw new InvalidOperationException("The portal did not start.");
        var log = new ConcurrentQueue<string>();
        portal.OutputDataReceived += (_, e) => Keep(log, e.Data);
        portal.ErrorDataReceived += (_, e) => Keep(log, e.Data);
        portal.BeginOutputReadLine();
        portal.BeginErrorReadLine();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        await WaitReadyAsync(baseAddress, portal, log);

        IDbContextFactory<PortalDbContext> factory = postgres is null
            ? new PortalDbContextFactory<SqlitePortalDbContext>(new PooledDbContextFactory<SqlitePortalDbContext>(
                SqlitePortalDbContext.Options(new SqliteConnectionStringBuilder { DataSource = Path.Combine(data, "portal.db") }.ToString())))
            : new PortalDbContextFactory<PostgresPortalDbContext>(new PooledDbContextFactory<PostgresPortalDbContext>(PostgresPortalDbContext.Options(postgres)));
        var tokens = new PersonalAccessTokens(factory, new AccessTokenCache(TimeProvider.System), TimeProvider.System);
        async Task<string> TokenAsync(string user)
        {
            await using var db = await factory.CreateDbContextAsync();
            var id = await db.Users.Where(u => u.UserName == user).Select(u => u.Id).SingleAsync();
            var created = await tokens.CreateAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], "bench")), "rollout-bench", 1);
            return created.Value!.Secret;
        }

        var kube = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var bench = new Bench(folder, sandbox, portal, baseAddress, kube, await TokenAsync("alice"), await TokenAsync("bob"), options.Protocol) { Provider = provider, postgresDatabase = postgres, redis = redis };
        Console.WriteLine($"Sandbox {sandbox.ServerUrl} (speed {options.Speed}), portal {baseAddress} (Release, pid {portal.Id}, {provider})");
        // Rollouts first, not counted: the first makes the namespace and Deployment; the next ones run until the portal's
        // JIT has settled. A fresh portal compiles some 20,000 methods to their optimized tier during its first 20
        // rollouts (about 10 s of CPU on these two cores, and longer GC pauses meanwhile), which a portal that has run
        // for a while has behind it.
        await using (var warm = await bench.ConnectAsync())
        {
            var warmUp = Stopwatch.StartNew();
            var compiled = new List<double>();
            do
            {
                var before = (await bench.RuntimeCountersAsync()).JitMethods;
                await bench.RolloutAsync([warm], 3);
                compiled.Add((await bench.RuntimeCountersAsync()).JitMethods - before);
            }
            while (compiled[^1] > WarmJitMethods && compiled.Count < 40);
            Console.WriteLine($"warm-up: {compiled.Count} rollouts in {warmUp.Elapsed.TotalSeconds:F0} s, until one made the portal's JIT compile <= {WarmJitMethods} methods (methods compiled per rollout: {string.Join(", ", compiled.Select(c => c.ToString("0", CultureInfo.InvariantCulture)))})");
        }

        if (redis is not null)
        {
            // The second instance: same settings and data, its own port; it follows, it does not apply.
            var secondPort = FreePort();
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{secondPort}";
            var second = Process.Start(start) ?? throw new InvalidOperationException("The second portal did not start.");
            var secondLog = new ConcurrentQueue<string>();
            second.OutputDataReceived += (_, e) => Keep(secondLog, e.Data);
            second.ErrorDataReceived += (_, e) => Keep(secondLog, e.Data);
            second.BeginOutputReadLine();
            second.BeginErrorReadLine();
            bench.second = second;
            bench.secondAddress = new Uri($"http://127.0.0.1:{secondPort}");
            await WaitReadyAsync(bench.secondAddress, second, secondLog);
            Console.WriteLine($"Second portal {bench.secondAddress} (pid {second.Id}); both on redis-server and a Lease, the first one leads");
        }

        return bench;
    }

    /// <summary>
    /// (f) Viewers split over two instances behind Redis: the leader follows the rollout and publishes each snapshot once
    /// to Redis; the other instance's viewers get it from there. Latency against the raw watch, per instance.
    /// </summary>
    public async Task FanOutTwoInstancesAsync(int viewers)
    {
        if (secondAddress is null)
        {
            throw new InvalidOperationException("Section (f) needs the second instance started with it.");
        }

        var connections = new HubConnection[viewers];
        await Parallel.ForEachAsync(Enumerable.Range(0, viewers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            connections[i] = await ConnectAsync(i % 2 == 0 ? baseAddress : secondAddress));
        try
        {
            var run = await RolloutAsync(connections, 3);
            foreach (var (name, parity) in new[] { ("leader", 0), ("other instance", 1) })
            {
                var latencies = new List<double>();
                var missed = 0;
                foreach (var seen in run.Viewers.Where((_, i) => i % 2 == parity))
                {
                    var result = Compare(run, seen);
                    latencies.AddRange(result.Latencies);
                    missed += result.Missed;
                }

                Console.WriteLine($"(f) {viewers / 2} of {viewers} hub viewers on the {name}: added latency p50 {Ms(Percentile(latencies, 50))}, p99 {Ms(Percentile(latencies, 99))}, states missed {missed}   target: p99 < 250 ms");
            }
        }
        finally
        {
            await Parallel.ForEachAsync(connections.Where(c => c is not null), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, _) => await c.DisposeAsync());
        }
    }

    /// <summary>(a) Each Deployment state as a raw watch sees it and as a hub client sees it.</summary>
    public async Task HubVersusRawWatchAsync(int count)
    {
        var latencies = new List<double>();
        int states = 0, missed = 0, merged = 0;
        await using var viewer = await ConnectAsync();
        var gcBefore = await RuntimeCountersAsync();
        for (var i = 0; i < count; i++)
        {
            var run = await RolloutAsync([viewer], 3);
            var result = Compare(run, run.Viewers[0]);
            if (System.Environment.GetEnvironmentVariable("ROLLOUT_BENCH_TRACE") is not null)
            {
                var origin = run.RawStates.Count > 0 ? run.RawStates[0].At : 0;
                Console.WriteLine($"  rollout #{run.RequestId}: raw {RawLine(run.RawStates, origin)}");
                Console.WriteLine($"    hub {HubLine(run.Viewers[0], origin)}");
            }

            latencies.AddRange(result.Latencies);
            states += result.States;
            missed += result.Missed;
            merged += result.Merged;
        }

        Console.WriteLine($"(a) {count} rollouts, {states} Deployment states seen by the raw watch");
        Console.WriteLine($"    hub client: added latency p50 {Ms(Percentile(latencies, 50))}, p99 {Ms(Percentile(latencies, 99))}, max {Ms(latencies.DefaultIfEmpty(double.NaN).Max())}");
        Console.WriteLine($"    states missed: {missed} (beyond the {Merge.TotalMilliseconds:0} ms merge); merged within {Merge.TotalMilliseconds:0} ms: {merged}   target: p99 <= +50 ms, 0 missed");
        var gcAfter = await RuntimeCountersAsync();
        Console.WriteLine($"    portal GC meanwhile: {gcAfter.ByGeneration.Values.Sum() - gcBefore.ByGeneration.Values.Sum():0} collections ({string.Join(", ", gcAfter.ByGeneration.Select(g => $"{g.Key} {g.Value - gcBefore.ByGeneration.GetValueOrDefault(g.Key):0}"))}), {(gcAfter.PauseSeconds - gcBefore.PauseSeconds) * 1000:F0} ms paused in all; {(gcAfter.Allocated - gcBefore.Allocated) / 1048576 / count:F1} MB allocated per rollout; JIT meanwhile: {gcAfter.JitMethods - gcBefore.JitMethods:0} methods compiled in {gcAfter.JitSeconds - gcBefore.JitSeconds:F2} s");
    }

    /// <summary>(b) Our own PATCH /scale during a rollout: when the raw watch sees it against when the hub client does.</summary>
    public async Task OwnScaleAsync(int patches)
    {
        var rawTimes = new List<double>();
        var hubTimes = new List<double>();
        var ratios = new List<double>();
        await using var viewer = await ConnectAsync();
        var hubWaiters = new Waiters<RolloutSnapshot>();
        var id = await SubmitAsync("v-b-slow", 2);
        var progressing = hubWaiters.WaitAsync(s => s.Phase == RolloutPhase.Progressing);
        var stream = StreamAsync(viewer, id, hubWaiters);
        await Task.Delay(200);
        await ApproveAsync(id);
        await progressing.WaitAsync(TimeSpan.FromSeconds(60));
        for (var i = 0; i < patches && !stream.IsCompleted; i++)
        {
            var replicas = i % 2 == 0 ? 4 : 2;
            var rawSeen = raw.Waiters.WaitAsync(s => s.Name == Service && s.Key.Desired == replicas);
            var hubSeen = hubWaiters.WaitAsync(s => s.Desired == replicas);
            var sent = Stopwatch.GetTimestamp();
            await kube.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch($"{{\"spec\":{{\"replicas\":{replicas}}}}}", V1Patch.PatchType.MergePatch), Service, Namespace);
            try
            {
                var rawAt = await rawSeen.WaitAsync(TimeSpan.FromSeconds(10));
                var hubAt = await hubSeen.WaitAsync(TimeSpan.FromSeconds(10));
                var rawMs = Stopwatch.GetElapsedTime(sent, rawAt).TotalMilliseconds;
                var hubMs = Stopwatch.GetElapsedTime(sent, hubAt).TotalMilliseconds;
                rawTimes.Add(rawMs);
                hubTimes.Add(hubMs);
                ratios.Add(hubMs / Math.Max(rawMs, 0.01));
            }
            catch (TimeoutException)
            {
                Console.WriteLine($"    patch {i + 1} to {replicas} replicas was not seen within 10 s");
            }

            await Task.Delay(100);
        }

        await stream.WaitAsync(TimeSpan.FromMinutes(5));
        await SettledAsync(id);
        Console.WriteLine($"(b) {rawTimes.Count} PATCH /scale during a rollout: raw watch p50 {Ms(Percentile(rawTimes, 50))} p99 {Ms(Percentile(rawTimes, 99))}; hub p50 {Ms(Percentile(hubTimes, 50))} p99 {Ms(Percentile(hubTimes, 99))}");
        Console.WriteLine($"    hub / raw: p50 {Percentile(hubTimes, 50) / Percentile(rawTimes, 50):F2}x, p99 {Percentile(hubTimes, 99) / Percentile(rawTimes, 99):F2}x (per patch: p50 {Percentile(ratios, 50):F2}x, p99 {Percentile(ratios, 99):F2}x)   target: <= 1.2x");
    }

    /// <summary>(c) One rollout watched by many hub clients.</summary>
    public async Task FanOutAsync(int viewers)
    {
        var before = RssKb();
        var connected = Stopwatch.StartNew();
        var connections = new HubConnection[viewers];
        await Parallel.ForEachAsync(Enumerable.Range(0, viewers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) => connections[i] = await ConnectAsync());
        var connectSeconds = connected.Elapsed.TotalSeconds;
        try
        {
            var watches = new ConcurrentDictionary<string, int>();
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    foreach (var type in new[] { ResourceTypes.Deployments, ResourceTypes.ReplicaSets, ResourceTypes.Pods, ResourceTypes.Events })
                    {
                        var open = sandbox.Store.OpenWatchCountFor(type) - (type == ResourceTypes.Deployments ? 1 : 0);
                        watches.AddOrUpdate(type.Plural, open, (_, max) => Math.Max(max, open));
                    }

                    await Task.Delay(50);
                }
            });
            long during = 0;
            TimeSpan portalCpu = default, benchCpu = default;
            var run = await RolloutAsync(connections, 3, () =>
            {
                during = RssKb();
                (portalCpu, benchCpu) = (CpuTime(portal.Id), Process.GetCurrentProcess().TotalProcessorTime);
            });
            (portalCpu, benchCpu) = (CpuTime(portal.Id) - portalCpu, Process.GetCurrentProcess().TotalProcessorTime - benchCpu);
            await sampling.CancelAsync();
            await sampler;

            var latencies = new List<double>();
            var missed = 0;
            foreach (var seen in run.Viewers)
            {
                var result = Compare(run, seen);
                latencies.AddRange(result.Latencies);
                missed += result.Missed;
            }

            Console.WriteLine($"(c) {viewers} hub viewers of one rollout (connected in {connectSeconds:F1} s): added latency p50 {Ms(Percentile(latencies, 50))}, p99 {Ms(Percentile(latencies, 99))}, states missed {missed}   target: p99 < 250 ms");
            Console.WriteLine($"    API watches opened by the portal (max during the rollout): {string.Join(", ", watches.OrderBy(w => w.Key).Select(w => $"{w.Key} {w.Value}"))}   target: 1 per kind");
            Console.WriteLine($"    portal RSS {before / 1024.0:F0} MB before, {during / 1024.0:F0} MB with {viewers} viewers: {(during - before) / (double)viewers:F0} KB per viewer");
            // CPU time is what the viewers cost, whatever else runs on the machine: the portal's to send, this process's to
            // receive (its 1,000 clients parse every message; the Sandbox and the raw watch run here too).
            var messages = run.Viewers.Sum(v => v.Count(s => s.Value.Phase != RolloutPhase.Applying));
            Console.WriteLine($"    from the approval to the end: {messages / (double)viewers:F1} hub messages per viewer; CPU portal {portalCpu.TotalSeconds:F2} s ({portalCpu.TotalMicroseconds / Math.Max(messages, 1):F0} us per message sent), bench process {benchCpu.TotalSeconds:F2} s ({benchCpu.TotalMicroseconds / Math.Max(messages, 1):F0} us per message)");
        }
        finally
        {
            await Parallel.ForEachAsync(connections.Where(c => c is not null), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, _) => await c.DisposeAsync());
        }
    }

    /// <summary>(e) Submits to production (waiting for an approval: nothing applied) and reads, 16 callers at a time.</summary>
    /// <returns>Submits per second.</returns>
    public async Task<double> ThroughputAsync(int seconds)
    {
        const int callers = 16;
        // A portal that has run for a while: the submit path's code reaches the JIT's optimized tier only after some
        // thousands of calls on these two shared cores (a cold portal submits at about half the rate for its first 10 s).
        const int submitWarmUp = 15;
        var created = new ConcurrentBag<int>();
        var submits = await RateAsync(callers, seconds, async () =>
        {
            using var response = await alice.PostAsJsonAsync($"/api/services/{Team}/{Service}/environments/{Environment}/requests", new { imageTag = "v-e", comment = "bench" });
            if (response.StatusCode == HttpStatusCode.Created)
            {
                created.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32());
                return true;
            }

            return false;
        }, submitWarmUp);
        var id = created.Max();
        var gets = await RateAsync(callers, seconds, async () =>
        {
            using var response = await alice.GetAsync($"/api/requests/{id}");
            return response.IsSuccessStatusCode;
        });
        var health = await RateAsync(callers, seconds, async () =>
        {
            using var response = await alice.GetAsync("/healthz");
            return response.IsSuccessStatusCode;
        });
        Console.WriteLine($"(e) {Provider}: {callers} concurrent callers, {seconds} s each: submits to production {submits.Rate:F0}/s ({submits.Failed} failed; after {submitWarmUp} s of submits not counted)   target: >= 500/s");
        Console.WriteLine($"    GET /api/requests/{{id}} {gets.Rate:F0}/s, GET /healthz {health.Rate:F0}/s: {100 * gets.Rate / health.Rate:F0}% of /healthz   target: >= 30%");
        Console.WriteLine($"    portal CPU per call: submit {submits.CpuPerCall.TotalMicroseconds:F0} us, GET /api/requests/{{id}} {gets.CpuPerCall.TotalMicroseconds:F0} us, GET /healthz {health.CpuPerCall.TotalMicroseconds:F0} us; load average {LoadAverage()}");
        return submits.Rate;
    }

    public async ValueTask DisposeAsync()
    {
        await raw.DisposeAsync();
        if (!portal.HasExited)
        {
            portal.Kill(entireProcessTree: true);
            await portal.WaitForExitAsync();
        }

        portal.Dispose();
        foreach (var process in new[] { second, redis })
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process?.Dispose();
        }

        kube.Dispose();
        alice.Dispose();
        bob.Dispose();
        await sandbox.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (postgresDatabase is not null)
        {
            await (await PostgresServer.Shared).DropDatabaseAsync(postgresDatabase);
        }

        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (List<double> Latencies, int States, int Missed, int Merged) Compare(RolloutRun run, List<Seen<RolloutSnapshot>> seen)
    {
        var hub = seen.Where(s => s.Value.Phase != RolloutPhase.Applying).ToList();
        var states = run.RawStates;
        var latencies = new List<double>();
        int missed = 0, merged = 0, next = 0;
        for (var i = 0; i < states.Count; i++)
        {
            var state = states[i];
            // Seen in time means before the state after it was seen plus a second; a later lookalike is another state.
            var until = i + 1 < states.Count ? states[i + 1].At + Stopwatch.Frequency : long.MaxValue;
            var match = hub.FindIndex(next, h => Key(h.Value) == state.Value && h.At <= until);
            if (match >= 0)
            {
                latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(state.At, hub[match].At).TotalMilliseconds));
                if (latencies[^1] > Merge.TotalMilliseconds && System.Environment.GetEnvironmentVariable("ROLLOUT_BENCH_TRACE") is not null)
                {
                    Console.WriteLine($"    late: state {i} of {states.Count} {state.Value} +{latencies[^1]:F0} ms ({hub[match].Value.Phase})");
                }
                next = match + 1;
            }
            else if (i + 1 < states.Count && Stopwatch.GetElapsedTime(state.At, states[i + 1].At) <= Merge)
            {
                merged++;
            }
            else
            {
                missed++;
                if (System.Environment.GetEnvironmentVariable("ROLLOUT_BENCH_TRACE") is not null)
                {
                    var origin = states[0].At;
                    Console.WriteLine($"    missed: state {i} of {states.Count} {state.Value} at {Stopwatch.GetElapsedTime(origin, state.At).TotalMilliseconds:F0} ms; raw {RawLine(states, origin)}; hub {HubLine(seen, origin)}");
                }
            }
        }

        return (latencies, states.Count, missed, merged);
    }

    /// <summary>"ms:desired/updated/ready/available" for each state, from <paramref name="origin"/> (the traces).</summary>
    private static string RawLine(IEnumerable<Seen<StateKey>> states, long origin) =>
        string.Join(" ", states.Select(r => $"{Stopwatch.GetElapsedTime(origin, r.At).TotalMilliseconds:F0}:{r.Value.Desired}/{r.Value.Updated}/{r.Value.Ready}/{r.Value.Available}"));

    /// <summary>As <see cref="RawLine"/>, each snapshot with its phase's initial.</summary>
    private static string HubLine(IEnumerable<Seen<RolloutSnapshot>> seen, long origin) =>
        string.Join(" ", seen.Select(h => $"{Stopwatch.GetElapsedTime(origin, h.At).TotalMilliseconds:F0}:{h.Value.Phase.ToString()[0]}{h.Value.Desired}/{h.Value.Updated}/{h.Value.Ready}/{h.Value.Available}"));

    private static StateKey Key(RolloutSnapshot snapshot) => new(snapshot.Desired, snapshot.Updated, snapshot.Ready, snapshot.Available);

    private async Task<RolloutRun> RolloutAsync(IReadOnlyList<HubConnection> viewers, int replicas, Action? whileFollowed = null)
    {
        var id = await SubmitAsync($"v{Interlocked.Increment(ref rollouts)}", replicas);
        var seen = viewers.Select(_ => new List<Seen<RolloutSnapshot>>()).ToArray();
        var first = viewers.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var streams = viewers.Select((viewer, i) => FollowAsync(viewer, id, snapshot =>
        {
            seen[i].Add(new Seen<RolloutSnapshot>(Stopwatch.GetTimestamp(), snapshot));
            first[i].TrySetResult();
        })).ToArray();
        await Task.WhenAll(first.Select(f => f.Task)).WaitAsync(TimeSpan.FromMinutes(2));
        whileFollowed?.Invoke();
        var approved = Stopwatch.GetTimestamp();
        await ApproveAsync(id);
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromMinutes(5));
        await SettledAsync(id);
        var ended = seen.Where(s => s.Count > 0).Min(s => s[^1].At);
        return new RolloutRun(id, raw.StatesOf(Service, approved, ended), [.. seen]);
    }

    /// <summary>The stream ends with the stored final snapshot; the request's own state follows a moment later.</summary>
    private async Task SettledAsync(int id)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            var request = await alice.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
            if (request.GetProperty("state").GetString() is not ("Approved" or "Applying" or "RollingOut"))
            {
                return;
            }

            await Task.Delay(20);
        }
    }

    private static Task StreamAsync(HubConnection viewer, int id, Waiters<RolloutSnapshot> waiters) =>
        FollowAsync(viewer, id, snapshot => waiters.Offer(snapshot, Stopwatch.GetTimestamp()));

    /// <summary>
    /// What a client of many rollouts does: joins the rollout's viewers and handles the hub's <c>RolloutChanged</c>
    /// messages as they come (unchanged lists and old events are not sent again), rebuilding each whole snapshot from
    /// them; ends with the rollout's final snapshot.
    /// </summary>
    private static async Task FollowAsync(HubConnection viewer, int id, Action<RolloutSnapshot> seen)
    {
        RolloutSnapshot? snapshot = null;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = viewer.On<RolloutChange>(RolloutRooms.ClientMethod, change =>
        {
            if (change.RequestId != id)
            {
                return;
            }

            snapshot = change.ApplyTo(snapshot);
            seen(snapshot);
            if (snapshot.IsFinal)
            {
                ended.TrySetResult();
            }
        });
        await viewer.InvokeAsync("JoinRollout", id);
        await ended.Task;
    }

    private async Task<int> SubmitAsync(string tag, int replicas)
    {
        using var response = await alice.PostAsJsonAsync($"/api/services/{Team}/{Service}/environments/{Environment}/requests", new { imageTag = tag, replicas });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Submit answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private async Task ApproveAsync(int id)
    {
        using var response = await bob.PostAsJsonAsync($"/api/requests/{id}/approve", new { comment = "bench" });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Approve answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private async Task<HubConnection> ConnectAsync(Uri? instance = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(instance ?? baseAddress, "/hubs/rollouts"), o =>
            {
                o.Headers["Authorization"] = $"Bearer {aliceToken}";
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            });
        if (protocol == "messagepack")
        {
            // What a .NET client of many rollouts picks: the hub speaks both, JSON stays the default for scripts.
            builder.AddMessagePackProtocol();
        }

        var connection = builder.Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        await connection.StartAsync();
        return connection;
    }

    /// <summary>The portal's GC collections (by generation), total pause time and bytes allocated so far, from its <c>/metrics</c>.</summary>
    private async Task<(Dictionary<string, double> ByGeneration, double PauseSeconds, double Allocated, double JitSeconds, double JitMethods)> RuntimeCountersAsync()
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var byGeneration = new Dictionary<string, double>(StringComparer.Ordinal);
        double pause = 0, allocated = 0, jitSeconds = 0, jitMethods = 0;
        foreach (var line in (await client.GetStringAsync("/metrics")).Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal))
            {
                var generation = line.Split("gc_heap_generation=\"")[1].Split('"')[0];
                byGeneration[generation] = byGeneration.GetValueOrDefault(generation) + Value(line);
            }
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal))
            {
                pause += Value(line);
            }
            else if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal))
            {
                allocated += Value(line);
            }
            else if (line.StartsWith("dotnet_jit_compilation_time_seconds_total", StringComparison.Ordinal))
            {
                jitSeconds += Value(line);
            }
            else if (line.StartsWith("dotnet_jit_compiled_methods_total", StringComparison.Ordinal))
            {
                jitMethods += Value(line);
            }
        }

        return (byGeneration, pause, allocated, jitSeconds, jitMethods);

        // name{labels} value [timestamp]
        static double Value(string line) => double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private long RssKb()
    {
        var line = File.ReadLines($"/proc/{portal.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-minute load average (Linux), so that a run says how busy the machine was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    /// <summary>User and system CPU time of a process so far (Linux /proc; clock ticks of 1/100 s).</summary>

    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <returns>Calls per second, failed calls, and the portal's CPU time per call (what a call costs whatever else loads the machine).</returns>
    private async Task<(double Rate, int Failed, TimeSpan CpuPerCall)> RateAsync(int callers, int seconds, Func<Task<bool>> call, int warmUpSeconds = 1)
    {
        // Warm-up, not counted.
        using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(warmUpSeconds)))
        {
            await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
            {
                while (!warm.IsCancellationRequested)
                {
                    await call();
                }
            }));
        }

        int ok = 0, failed = 0;
        var cpu = CpuTime(portal.Id);
        var clock = Stopwatch.StartNew();
        using var timer = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (!timer.IsCancellationRequested)
            {
                if (await call())
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        var elapsed = clock.Elapsed;
        cpu = CpuTime(portal.Id) - cpu;
        return (ok / elapsed.TotalSeconds, failed, cpu / Math.Max(ok + failed, 1));
    }

    private static async Task WaitReadyAsync(Uri baseAddress, Process portal, ConcurrentQueue<string> log)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (portal.HasExited)
            {
                throw new InvalidOperationException("The portal stopped:\n" + string.Join("\n", log));
            }

            try
            {
                using var response = await client.GetAsync("/readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
                // The 5 s client timeout on a loaded machine: ask again until the two minutes are up.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The portal did not become ready:\n" + string.Join("\n", log));
    }

    private static void Keep(ConcurrentQueue<string> log, string? line)
    {
        if (line is null)
        {
            return;
        }

        if (System.Environment.GetEnvironmentVariable("ROLLOUT_BENCH_TRACE") is not null && line.Contains("Rollout of request", StringComparison.Ordinal))
        {
            Console.WriteLine("    portal: " + line.Trim());
        }

        log.Enqueue(line);
        while (log.Count > 50)
        {
            log.TryDequeue(out _);
        }
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SelfService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from inside the repository.");
    }

    private static async Task WaitListeningAsync(int port)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record RolloutRun(int RequestId, List<Seen<StateKey>> RawStates, List<Seen<RolloutSnapshot>>[] Viewers);
}
