using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

public sealed class PostgresMigrationTests(PostgresPortalApp app) : IClassFixture<PostgresPortalApp>
{
    [Fact]
    public async Task PostgresModelHasNoChangesThatNoMigrationCaptures()
    {
        var pending = await app.WithDbAsync(db => Task.FromResult(db.Database.HasPendingModelChanges()));

        Assert.False(pending, "The model changed: run the PostgreSQL migrations command in README.md (Database).");
    }

    [Fact]
    public async Task StartUpAppliesEveryPostgresMigrationToAnEmptyDatabase()
    {
        var (context, applied, all) = await app.WithDbAsync(async db => (db, (await db.Database.GetAppliedMigrationsAsync()).ToList(), db.Database.GetMigrations().ToList()));

        Assert.IsType<PostgresPortalDbContext>(context);
        Assert.NotEmpty(all);
        Assert.Equal(all, applied);
    }

    [Fact]
    public async Task TimesAreStoredAsTimestampWithTimeZoneAndReadBackInUtc()
    {
        var types = await app.WithDbAsync(db => db.Database.SqlQueryRaw<string>(
            "SELECT data_type AS \"Value\" FROM information_schema.columns WHERE table_name = 'DeploymentRequests' AND column_name = 'CreatedAt'").ToListAsync());
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1" })).SubmittedIdAsync();
        var createdAt = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.CreatedAt).SingleAsync());
        var ordered = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.CreatedAt <= createdAt).OrderByDescending(r => r.CreatedAt).Select(r => r.Id).FirstAsync());

        Assert.Equal("timestamp with time zone", Assert.Single(types));
        Assert.Equal(TimeSpan.Zero, createdAt.Offset);
        Assert.InRange(createdAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(id, ordered);
        Assert.Equal(RequestState.AwaitingApproval, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task DataProtectionKeysLiveInTheDatabaseOnPostgres()
    {
        var client = app.CreateBrowserlikeClient();
        await client.GetStringAsync("/account/signin");

        Assert.NotEmpty(await app.WithDbAsync(db => db.DataProtectionKeys.ToListAsync()));
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "keys")) && Directory.GetFiles(Path.Combine(app.DataDirectory, "keys")).Length > 0);
    }
}
