using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Tests.Data;

public class SqliteSynchronousNormalTests
{
    [Fact]
    public async Task EveryOpeningOfAPooledConnectionWritesWithSynchronousNormal()
    {
        var file = Path.Combine(Path.GetTempPath(), $"synchronous-{Guid.NewGuid():N}.db");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString();
        var options = new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(connectionString).AddInterceptors(SqliteSynchronousNormal.Instance).Options;
        var seen = new List<long>();
        var handles = new HashSet<object>();

        // The first opening sets it on the native connection; the next ones reuse that connection from the pool.
        for (var i = 0; i < 3; i++)
        {
            await using var db = new SqlitePortalDbContext(options);
            await db.Database.OpenConnectionAsync();
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            handles.Add(connection.Handle!);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous;";
            seen.Add((long)(await command.ExecuteScalarAsync())!);
            await db.Database.CloseConnectionAsync();
        }

        Assert.Single(handles);
        Assert.Equal([1L, 1L, 1L], seen);
    }
}
