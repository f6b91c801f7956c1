using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Portal.Data;

/// <summary>
/// Several instances on one PostgreSQL database (Npgsql). Times are <c>timestamptz</c> (always written with offset 0, read
/// back as UTC). Its migrations live in <c>migrations/Postgres</c>.
/// </summary>
public sealed class PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options) : PortalDbContext(options)
{
    public static DbContextOptions<PostgresPortalDbContext> Options(string connectionString) =>
        new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql(connectionString).Options;

    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}

/// <summary>For <c>dotnet ef migrations add ... --context PostgresPortalDbContext</c>: no database is touched.</summary>
internal sealed class PostgresPortalDbContextDesignFactory : IDesignTimeDbContextFactory<PostgresPortalDbContext>
{
    public PostgresPortalDbContext CreateDbContext(string[] args) => new(PostgresPortalDbContext.Options("Host=localhost;Database=design-time"));
}
