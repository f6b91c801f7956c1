// Catalog page queries against 10,000 services in a real SQLite file: prints median and p95 per query shape.
// Run: dotnet run -c Release --project bench/CatalogBench [-- services iterations]
using System.Diagnostics;
using System.Security.Claims;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Portal.Catalog;
using Portal.Data;
using Portal.Identity;

var serviceCount = args.Length > 0 ? int.Parse(args[0]) : 10_000;
var iterations = args.Length > 1 ? int.Parse(args[1]) : 200;
var folder = Directory.CreateTempSubdirectory("catalog-bench");
var options = SqlitePortalDbContext.Options(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder.FullName, "bench.db") }.ToString());
var factory = new PortalDbContextFactory<SqlitePortalDbContext>(new PooledDbContextFactory<SqlitePortalDbContext>(options));

string userId;
await using (var db = await factory.CreateDbContextAsync())
{
    await db.Database.MigrateAsync();
    await db.AfterMigrateAsync();
    var teams = Enumerable.Range(0, 50).Select(i => new Team { Name = $"team-{i:D2}", CreatedAt = DateTimeOffset.UtcNow }).ToList();
    db.Teams.AddRange(teams);
    var user = new PortalUser { UserName = "bench", NormalizedUserName = "BENCH" };
    db.Users.Add(user);
    await db.SaveChangesAsync();
    db.TeamMembers.Add(new TeamMember { TeamId = teams[7].Id, UserId = user.Id });
    var now = DateTimeOffset.UtcNow;
    for (var i = 0; i < serviceCount; i++)
    {
        db.Services.Add(new Service { TeamId = teams[i % teams.Count].Id, Name = $"svc-{i:D5}", ImageRepository = $"registry.example.com/bench/svc-{i:D5}", ContainerPort = 8080, CreatedAt = now, UpdatedAt = now.AddSeconds(i) });
    }

    await db.SaveChangesAsync();
    userId = user.Id;
}

var catalog = new ServiceCatalog(factory, new TeamAccess(factory), TimeProvider.System);
var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], "bench"));
var shapes = new (string Name, CatalogQuery Query)[]
{
    ("first page, by name", new CatalogQuery()),
    ("page 200, by name", new CatalogQuery(Page: 200, PageSize: 25)),
    ("by last update, newest first", new CatalogQuery(SortBy: CatalogSort.UpdatedAt, Descending: true)),
    ("search 'svc-09'", new CatalogQuery(Search: "svc-09")),
    ("search by team 'team-3'", new CatalogQuery(Search: "team-3")),
    ("my teams only", new CatalogQuery(MyTeamsOnly: true)),
};

Console.WriteLine($"{serviceCount} services, {iterations} runs per query (SQLite file, WAL)");
foreach (var (name, query) in shapes)
{
    await catalog.PageAsync(principal, query);
    var timings = new double[iterations];
    for (var i = 0; i < iterations; i++)
    {
        var started = Stopwatch.GetTimestamp();
        await catalog.PageAsync(principal, query);
        timings[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    Array.Sort(timings);
    Console.WriteLine($"{name,-32} median {timings[iterations / 2],7:F2} ms   p95 {timings[(int)(iterations * 0.95)],7:F2} ms");
}

SqliteConnection.ClearAllPools();
folder.Delete(recursive: true);
