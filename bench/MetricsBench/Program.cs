// Delivery (DORA) metrics against 100,000 deployment requests in a real SQLite file: prints median and p95 per query shape.
// Run: dotnet run -c Release --project bench/MetricsBench [-- requests iterations]
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Portal.Catalog;
using Portal.Data;
using Portal.Identity;
using Portal.Metrics;
using Portal.Requests;

var requestCount = args.Length > 0 ? int.Parse(args[0]) : 100_000;
var iterations = args.Length > 1 ? int.Parse(args[1]) : 30;
var folder = Directory.CreateTempSubdirectory("metrics-bench");
var options = SqlitePortalDbContext.Options(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder.FullName, "bench.db") }.ToString());
var factory = new PooledDbContextFactory<SqlitePortalDbContext>(options);
var now = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
var seeding = Stopwatch.StartNew();
List<Service> services;
await using (var db = await factory.CreateDbContextAsync())
{
    await db.Database.MigrateAsync();
    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
    var teams = Enumerable.Range(0, 50).Select(i => new Team { Name = $"team-{i:D2}", CreatedAt = now }).ToList();
    db.Teams.AddRange(teams);
    await db.SaveChangesAsync();
    services = [.. Enumerable.Range(0, 500).Select(i => new Service { TeamId = teams[i % teams.Count].Id, Name = $"svc-{i:D3}", ImageRepository = $"registry.example.com/bench/svc-{i:D3}", ContainerPort = 8080, CreatedAt = now, UpdatedAt = now })];
    db.Services.AddRange(services);
    await db.SaveChangesAsync();
}

// A year of history: every request submitted at a random time, 90 % healthy after 5-120 minutes, 10 % failed;
// production ones waited 1-240 minutes for an approver.
var random = new Random(42);
var spec = new RequestSpec { ImageRepository = "registry.example.com/bench", ImageTag = "v1", Resources = new ResourceSpec("100m", "200m", "64Mi", "128Mi"), ContainerPort = 8080 };
for (var batch = 0; batch < requestCount; batch += 5_000)
{
    await using var db = await factory.CreateDbContextAsync();
    for (var i = batch; i < Math.Min(requestCount, batch + 5_000); i++)
    {
        var created = now.AddSeconds(-random.Next(0, 365 * 86_400));
        var production = random.Next(2) == 0;
        var wait = production ? random.Next(60, 240 * 60) : 0;
        var failed = random.Next(10) == 0;
        var took = random.Next(5 * 60, 120 * 60);
        db.DeploymentRequests.Add(new DeploymentRequest
        {
            ServiceId = services[random.Next(services.Count)].Id,
            Environment = production ? "production" : "staging",
            State = failed ? RequestState.Failed : RequestState.Succeeded,
            Spec = spec,
            SpecHash = "bench",
            ImageTag = "v1",
            RequestedById = "bench",
            RequestedBy = "bench",
            CreatedAt = created,
            UpdatedAt = created.AddSeconds(wait + took),
            DecidedAt = production ? created.AddSeconds(wait) : null,
            ApprovalWaitSeconds = production ? wait : null,
            HealthyAt = failed ? null : created.AddSeconds(wait + took),
            LeadTimeSeconds = failed ? null : wait + took,
            FailedAt = failed ? created.AddSeconds(wait + took) : null,
        });
    }

    await db.SaveChangesAsync();
}

Console.WriteLine($"MetricsBench {DateTimeOffset.UtcNow:u} on {Environment.ProcessorCount} cores; load average {LoadAverage()}");
Console.WriteLine($"{requestCount} requests over 365 days, 500 services of 50 teams (SQLite file, WAL); seeded in {seeding.Elapsed.TotalSeconds:0.0} s; {iterations} runs per query");
var shapes = new (string Name, Func<PortalDbContext, IQueryable<DeploymentRequest>> Scope, TimeSpan Period)[]
{
    ("one team, 30 days", db => db.DeploymentRequests.Where(r => r.Service.TeamId == services[7].TeamId), TimeSpan.FromDays(30)),
    ("one team, 365 days", db => db.DeploymentRequests.Where(r => r.Service.TeamId == services[7].TeamId), TimeSpan.FromDays(365)),
    ("one service, production, 90 days", db => db.DeploymentRequests.Where(r => r.ServiceId == services[7].Id && r.Environment == "production"), TimeSpan.FromDays(90)),
    ("all teams (Admin), 30 days", db => db.DeploymentRequests, TimeSpan.FromDays(30)),
    ("all teams (Admin), 365 days", db => db.DeploymentRequests, TimeSpan.FromDays(365)),
};
foreach (var (name, scope, period) in shapes)
{
    DeliveryReport? report = null;
    var timings = new double[iterations];
    for (var i = -1; i < iterations; i++)
    {
        var started = Stopwatch.GetTimestamp();
        await using var db = await factory.CreateDbContextAsync();
        report = await DeliveryMetrics.MeasureAsync(db, scope(db), new DeliveryQuery(null, null, null, now - period, now), CancellationToken.None);
        if (i >= 0)
        {
            timings[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }

    Array.Sort(timings);
    Console.WriteLine(
        $"{name,-36} median {timings[iterations / 2],7:0.0} ms  p95 {timings[(int)Math.Ceiling(iterations * 0.95) - 1],7:0.0} ms  " +
        $"({report!.Deployments} deployments, lead p50 {report.LeadTime.MedianSeconds / 60:0} min, CFR {report.ChangeFailureRate:P1}, {report.Buckets.Count} buckets)");
}

SqliteConnection.ClearAllPools();
folder.Delete(recursive: true);

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
