namespace Portal.Data;

public enum DatabaseProvider
{
    /// <summary>The embedded default: a SQLite file in the data folder (or <c>ConnectionStrings:Portal</c>).</summary>
    Sqlite,

    /// <summary>Several instances: PostgreSQL at <c>ConnectionStrings:Portal</c>.</summary>
    Postgres,
}

/// <summary>Settings under <c>Database</c>: which engine holds the portal's state. Read once at start-up.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}
