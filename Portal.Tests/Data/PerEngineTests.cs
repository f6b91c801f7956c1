using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

/// <summary>A compiled query serves a SQLite and a PostgreSQL portal in one process, each from its own database.</summary>
public sealed class PerEngineTests : IAsyncLifetime
{
    private static readonly PerEngine<Func<PortalDbContext, string, Task<string?>>> DisplayNameOf = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, string name) => db.Teams.Where(t => t.Name == name).Select(t => t.DisplayName).SingleOrDefault()));

    private readonly PortalApp sqlite = PortalApp.Create(PortalDatabase.Sqlite);
    private readonly PortalApp postgres = PortalApp.Create(PortalDatabase.Postgres);

    public async Task InitializeAsync()
    {
        await sqlite.InitializeAsync();
        await postgres.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await sqlite.DisposeAsync();
        await postgres.DisposeAsync();
    }

    [Fact]
    public async Task EachEngineGetsItsOwnCompiledQueryAndItsOwnAnswer()
    {
        await AddProbeAsync(sqlite, "on sqlite");
        await AddProbeAsync(postgres, "on postgres");

        // Alternating engines: a query compiled for one model and run on the other would fail or read the wrong database.
        foreach (var (app, expected) in new[] { (sqlite, "on sqlite"), (postgres, "on postgres"), (sqlite, "on sqlite"), (postgres, "on postgres") })
        {
            Assert.Equal(expected, await app.WithDbAsync(db => DisplayNameOf.For(db)(db, "engine-probe")));
        }

        Assert.Null(await sqlite.WithDbAsync(db => DisplayNameOf.For(db)(db, "no-such-team")));
        Assert.NotSame(await sqlite.WithDbAsync(db => Task.FromResult(DisplayNameOf.For(db))), await postgres.WithDbAsync(db => Task.FromResult(DisplayNameOf.For(db))));
    }

    private static Task<int> AddProbeAsync(PortalApp app, string displayName) => app.WithDbAsync(db =>
    {
        db.Teams.Add(new Team { Name = "engine-probe", DisplayName = displayName, CreatedAt = DateTimeOffset.UtcNow });
        return db.SaveChangesAsync();
    });
}
