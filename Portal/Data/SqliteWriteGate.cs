using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace Portal.Data;

/// <summary>
/// One writer at a time per SQLite file, waited for asynchronously. SQLite admits a single writer, and a transaction
/// that finds the file locked is retried by Microsoft.Data.Sqlite after a fixed sleep that blocks its thread: busy
/// submits would then wait for each other in sleeps far longer than the writes. Paths that write often and concurrently
/// (submitting requests) take their turn here instead. Other engines let writers proceed together: nothing waits there.
/// </summary>
public static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <returns>What to dispose when the write is committed or abandoned.</returns>
    public static async Task<IDisposable> EnterAsync(PortalDbContext db, CancellationToken cancellationToken = default)
    {
        // The context's type names the engine (Database.IsSqlite() reads the provider's assembly name on every call).
        if (db is not SqlitePortalDbContext)
        {
            return Turn.None;
        }

        var gate = Gates.GetOrAdd(db.Database.GetConnectionString() ?? "", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Turn(gate);
    }

    private sealed class Turn(SemaphoreSlim? gate) : IDisposable
    {
        public static readonly Turn None = new(null);

        private SemaphoreSlim? gate = gate;

        public void Dispose() => Interlocked.Exchange(ref gate, null)?.Release();
    }
}
