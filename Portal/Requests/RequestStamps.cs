using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Portal.Catalog;
using Portal.Data;
using Portal.Identity;

namespace Portal.Requests;

/// <summary>What a request is now, as far as a reader of a cached detail needs: its version, its team and the names.</summary>
public sealed record RequestStamp(int Version, int TeamId, string Team, string Service);

/// <summary>
/// The version check behind <see cref="RequestDetailCache"/>: reads one row (the request's version, its team, the team's
/// and the service's names) with a prepared command on a connection kept open for it, instead of a LINQ query on a new
/// context (which costs several times more CPU than the row). It reads the database on every call, so it is as right as
/// a query with several instances. A few connections are kept (one per concurrent caller, up to
/// <see cref="KeptConnections"/>); a connection whose command failed is closed, never reused, and a kept one that fails is
/// replaced by a new one at once (the database may have restarted since it was opened).
/// </summary>
public sealed class RequestStamps(IDbContextFactory<PortalDbContext> dbFactory) : IDisposable
{
    private const int KeptConnections = 16;

    private readonly ConcurrentQueue<Reader> idle = new();
    private Shape? shape;
    private volatile bool disposed;

    /// <summary>How many connections were opened for the check (tests see the connections reused with it).</summary>
    public int Opened => Volatile.Read(ref opened);

    private int opened;

    /// <summary>The request's stamp now, or null when there is no such request.</summary>
    public async Task<RequestStamp?> FindAsync(int requestId, CancellationToken cancellationToken = default)
    {
        if (idle.TryDequeue(out var kept))
        {
            try
            {
                return await ReadAsync(kept, requestId, cancellationToken);
            }
            catch (DbException) when (!cancellationToken.IsCancellationRequested)
            {
                // A kept connection may have been broken meanwhile (the database restarted): it is closed; try a new one.
            }
        }

        return await ReadAsync(await OpenAsync(cancellationToken), requestId, cancellationToken);
    }

    public void Dispose()
    {
        disposed = true;
        while (idle.TryDequeue(out var reader))
        {
            reader.Dispose();
        }
    }

    private async Task<RequestStamp?> ReadAsync(Reader reader, int requestId, CancellationToken cancellationToken)
    {
        RequestStamp? stamp;
        try
        {
            stamp = await reader.ReadAsync(requestId, cancellationToken);
        }
        catch
        {
            reader.Dispose();
            throw;
        }

        if (!disposed && idle.Count < KeptConnections)
        {
            idle.Enqueue(reader);
        }
        else
        {
            reader.Dispose();
        }

        return stamp;
    }

    private async Task<Reader> OpenAsync(CancellationToken cancellationToken)
    {
        var (factory, connectionString, sql, parameterName) = shape ??= ShapeOf();
        var connection = factory.CreateConnection() ?? throw new InvalidOperationException("The database provider makes no connections.");
        connection.ConnectionString = connectionString;
        try
        {
            await connection.OpenAsync(cancellationToken);
            var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameter = command.CreateParameter();
            parameter.ParameterName = parameterName;
            parameter.DbType = System.Data.DbType.Int32;
            parameter.Value = 0;
            command.Parameters.Add(parameter);
            await command.PrepareAsync(cancellationToken);
            Interlocked.Increment(ref opened);
            return new Reader(connection, command, parameter);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The SQL in the engine's own words, with the table and column names the model maps to.</summary>
    private Shape ShapeOf()
    {
        using var db = dbFactory.CreateDbContext();
        var sql = db.GetService<ISqlGenerationHelper>();
        var model = db.Model;
        string Table<T>() => model.FindEntityType(typeof(T)) is { } type
            ? sql.DelimitIdentifier(type.GetTableName()!, type.GetSchema())
            : throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        string Column<T>(string property) => sql.DelimitIdentifier(model.FindEntityType(typeof(T))!.FindProperty(property)!.GetColumnName());

        var parameterName = sql.GenerateParameterName("id");
        var text =
            $"SELECT r.{Column<DeploymentRequest>(nameof(DeploymentRequest.Version))}, s.{Column<Service>(nameof(Service.TeamId))}, t.{Column<Team>(nameof(Team.Name))}, s.{Column<Service>(nameof(Service.Name))} " +
            $"FROM {Table<DeploymentRequest>()} AS r " +
            $"INNER JOIN {Table<Service>()} AS s ON s.{Column<Service>(nameof(Service.Id))} = r.{Column<DeploymentRequest>(nameof(DeploymentRequest.ServiceId))} " +
            $"INNER JOIN {Table<Team>()} AS t ON t.{Column<Team>(nameof(Team.Id))} = s.{Column<Service>(nameof(Service.TeamId))} " +
            $"WHERE r.{Column<DeploymentRequest>(nameof(DeploymentRequest.Id))} = {sql.GenerateParameterNamePlaceholder("id")}";
        var connection = db.Database.GetDbConnection();
        var factory = DbProviderFactories.GetFactory(connection) ?? throw new InvalidOperationException("The database connection names no provider factory.");
        var connectionString = db.Database.GetConnectionString() ?? throw new InvalidOperationException("The database has no connection string.");
        return new Shape(factory, connectionString, text, parameterName);
    }

    private sealed record Shape(DbProviderFactory Factory, string ConnectionString, string Sql, string ParameterName);

    /// <summary>One open connection with its prepared command; used by one caller at a time.</summary>
    private sealed class Reader(DbConnection connection, DbCommand command, DbParameter id) : IDisposable
    {
        public async Task<RequestStamp?> ReadAsync(int requestId, CancellationToken cancellationToken)
        {
            id.Value = requestId;
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new RequestStamp(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3))
                : null;
        }

        public void Dispose()
        {
            command.Dispose();
            connection.Dispose();
        }
    }
}
