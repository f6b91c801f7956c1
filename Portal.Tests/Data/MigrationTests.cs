using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

public sealed class MigrationTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task ModelHasNoChangesThatNoMigrationCaptures()
    {
        var pending = await app.WithDbAsync(db => Task.FromResult(db.Database.HasPendingModelChanges()));

        Assert.False(pending, "The model changed: run dotnet ef migrations add <Name> --project Portal --output-dir ../migrations");
    }

    [Fact]
    public async Task StartUpAppliesEveryMigrationToTheSqliteFile()
    {
        var (applied, all) = await app.WithDbAsync(async db => ((await db.Database.GetAppliedMigrationsAsync()).ToList(), db.Database.GetMigrations().ToList()));

        Assert.NotEmpty(all);
        Assert.Equal(all, applied);
        Assert.True(File.Exists(Path.Combine(app.DataDirectory, "portal.db")));
    }

    [Fact]
    public async Task DatabaseRunsInWriteAheadLogMode()
    {
        var mode = await app.WithDbAsync(db => db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync());

        Assert.Equal("wal", Assert.Single(mode));
    }

    [Fact]
    public async Task DataProtectionKeysLiveInTheDataFolder()
    {
        var client = app.CreateBrowserlikeClient();
        await client.GetStringAsync("/account/signin");

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(app.DataDirectory, "keys"), "*.xml"));
    }
}
