using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Data;

/// <summary>
/// <c>PRAGMA synchronous=NORMAL</c> on each connection (the setting is not stored in the file). In WAL mode a commit then
/// no longer waits for the disk: a committed write survives a crash or kill of the portal, and only a power loss or an
/// operating-system crash may undo the last commits; the database is never corrupted. This is SQLite's recommended
/// setting for WAL. It is set once per native connection: a pooled connection keeps it, so reopening it (every query of
/// a new DbContext does) costs no extra command.
/// </summary>
public sealed class SqliteSynchronousNormal : DbConnectionInterceptor
{
    public static readonly SqliteSynchronousNormal Instance = new();

    private const string Pragma = "PRAGMA synchronous=NORMAL;";

    // The native connections already set; weak, so a connection the pool closes takes its mark with it.
    private static readonly ConditionalWeakTable<object, object> Configured = new();

    private static readonly object Mark = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsConfigured(connection))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
        MarkConfigured(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsConfigured(connection))
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
        MarkConfigured(connection);
    }

    private static bool IsConfigured(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && Configured.TryGetValue(handle, out _);

    private static void MarkConfigured(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            Configured.AddOrUpdate(handle, Mark);
        }
    }
}
