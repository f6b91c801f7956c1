using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// Debian's PostgreSQL 15 on a free loopback port in a temporary folder: one server for the whole test run (started on
/// first use, stopped when the test process exits), a fresh database for each test class or app. PostgreSQL refuses
/// to run as root, so as root it runs as the <c>postgres</c> user. Settings favour speed over durability (fsync off).
/// </summary>
public sealed class PostgresServer
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "portal-tests-postgres");
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartAsync);
    private readonly string folder;
    private int databases;

    private PostgresServer(string folder, int port)
    {
        this.folder = folder;
        Port = port;
    }

    /// <summary>The server of this test run.</summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    public int Port { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        IncludeErrorDetail = true,
        // Many apps share the server in one run: keep each pool small and give idle connections back soon.
        MaxPoolSize = 30,
        ConnectionIdleLifetime = 10,
    }.ToString();

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "portal")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref databases)}_{Guid.NewGuid():n}".ToLowerInvariant();
        name = name[..Math.Min(63, name.Length)];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing whatever still uses it.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "pg_ctl")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDirectory}/pg_ctl): apt-get install postgresql (test.sh does).");
        }

        StopLeftovers();
        var folder = Path.Combine(Root, $"{Environment.ProcessId}-{Guid.NewGuid():n}");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (IsRoot)
        {
            await RunAsync("chown", "-R", "postgres:postgres", Root);
        }

        var data = Path.Combine(folder, "data");
        await RunAsync(Path.Combine(BinDirectory, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync");
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var settings = $"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400";
            try
            {
                await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), "-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "120", "-o", settings, "start");
                var server = new PostgresServer(folder, port);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // The port was taken between choosing and binding it: choose another.
            }
        }
    }

    private void Stop()
    {
        Stop(folder);
    }

    private static void Stop(string folder)
    {
        try
        {
            RunAsync(Path.Combine(BinDirectory, "pg_ctl"), "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop").GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Not running any more.
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Servers of earlier test runs whose process died without stopping them.</summary>
    private static void StopLeftovers()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        foreach (var folder in Directory.GetDirectories(Root))
        {
            var owner = Path.Combine(folder, "owner.pid");
            if (File.Exists(owner) && int.TryParse(File.ReadAllText(owner), out var pid) && IsAlive(pid))
            {
                continue;
            }

            Stop(folder);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var asPostgres = IsRoot && file.StartsWith(BinDirectory, StringComparison.Ordinal);
        start.FileName = asPostgres ? "runuser" : file;
        if (asPostgres)
        {
            foreach (var argument in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
