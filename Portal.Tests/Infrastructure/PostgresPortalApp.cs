namespace Portal.Tests.Infrastructure;

public enum PortalDatabase
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The real portal on a fresh database of the test run's PostgreSQL server (<see cref="PostgresServer"/>), dropped when
/// the app is disposed. Everything else (data folder, Sandbox, settings) is as in <see cref="PortalApp"/>.
/// </summary>
public sealed class PostgresPortalApp : PortalApp
{
    private bool ownsDatabase;

    /// <summary>Set before start to share an existing database (a second instance); it is then left in place.</summary>
    public string? ConnectionString { get; set; }

    protected override async Task BeforeStartAsync()
    {
        if (ConnectionString is null)
        {
            ConnectionString = await (await PostgresServer.Shared).CreateDatabaseAsync();
            ownsDatabase = true;
        }

        With("Database:Provider", "Postgres");
        With("ConnectionStrings:Portal", ConnectionString);
    }

    protected override async Task AfterStopAsync()
    {
        if (ownsDatabase && ConnectionString is not null)
        {
            await (await PostgresServer.Shared).DropDatabaseAsync(ConnectionString);
        }
    }
}
