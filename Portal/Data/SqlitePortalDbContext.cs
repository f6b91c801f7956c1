using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Portal.Data;

/// <summary>The embedded default: one SQLite file in the data folder. Its migrations live in <c>migrations/Sqlite</c>.</summary>
public sealed class SqlitePortalDbContext(DbContextOptions<SqlitePortalDbContext> options) : PortalDbContext(options)
{
    /// <summary>SQLITE_CONSTRAINT: the extended codes 2067 (unique) and 1555 (primary key) share it.</summary>
    private const int SqliteConstraint = 19;

    private static readonly DateTimeOffsetToBinaryConverter StoredTime = new();

    /// <summary>Through the converter the time is stored with (a tenth of a millisecond).</summary>
    public override DateTimeOffset AsStored(DateTimeOffset value) => (DateTimeOffset)StoredTime.ConvertFromProvider(StoredTime.ConvertToProvider(value))!;

    public static DbContextOptions<SqlitePortalDbContext> Options(string connectionString) =>
        new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(connectionString).Options;

    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint, SqliteExtendedErrorCode: 2067 or 1555 };

    public override async Task AfterMigrateAsync(CancellationToken cancellationToken = default) =>
        // WAL lets readers (every Blazor circuit) proceed while the apply worker writes; the mode is stored in the file.
        await Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        // SQLite has no native DateTimeOffset: stored as UTC ticks so that ORDER BY and comparisons run in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>For <c>dotnet ef migrations add ... --context SqlitePortalDbContext</c>: no database is touched.</summary>
internal sealed class SqlitePortalDbContextDesignFactory : IDesignTimeDbContextFactory<SqlitePortalDbContext>
{
    public SqlitePortalDbContext CreateDbContext(string[] args) => new(SqlitePortalDbContext.Options("Data Source=design-time.db"));
}
