using k8s;
using k8s.Models;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.HighAvailability;

/// <summary>
/// The several-instances shape on one machine: portals A and B as processes of their own, sharing one database, one
/// redis-server and one stand-alone Sandbox, electing their leader on a Lease in the portal's namespace.
/// </summary>
public sealed class TwoPortals : IAsyncDisposable
{
    public const string PortalNamespace = "selfservice";

    // The shared database: PostgreSQL, as in production. SqliteFile (two processes on one WAL file) works too.
    private static readonly SharedDatabase Database = SharedDatabase.Postgres;

    private readonly RedisServer redis = new();
    private readonly List<PortalProcess> portals = [];
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "portal-tests", "ha-" + Guid.NewGuid().ToString("n"));

    private TwoPortals(SandboxProcess sandbox) => Sandbox = sandbox;

    private string? postgres;

    public enum SharedDatabase
    {
        SqliteFile,
        Postgres,
    }

    public SandboxProcess Sandbox { get; }

    public PortalProcess A => portals[0];

    public PortalProcess B => portals[1];

    /// <summary>Starts Redis, the Sandbox (at <paramref name="sandboxSpeed"/>) and A, then B once A leads.</summary>
    public static async Task<TwoPortals> StartAsync(double sandboxSpeed = 20)
    {
        var ha = new TwoPortals(await SandboxProcess.StartAsync(sandboxSpeed));
        try
        {
            await ha.redis.InitializeAsync();
            if (Database == SharedDatabase.Postgres)
            {
                ha.postgres = await (await PostgresServer.Shared).CreateDatabaseAsync("ha");
            }

            using (var client = ha.Sandbox.Client())
            {
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = PortalNamespace } });
            }

            // A first: it creates the schema and the demo data that B then finds.
            ha.portals.Add(await PortalProcess.StartAsync("portal-a", ha.Settings("portal-a")));
            await Poll.UntilAsync(ha.A.IsLeaderAsync, TimeSpan.FromSeconds(120), "portal A did not take the Lease");
            ha.portals.Add(await PortalProcess.StartAsync("portal-b", ha.Settings("portal-b")));
            return ha;
        }
        catch
        {
            await ha.DisposeAsync();
            throw;
        }
    }

    /// <summary>The Lease as the cluster holds it: who leads.</summary>
    public async Task<string?> LeaseHolderAsync()
    {
        using var client = Sandbox.Client();
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("selfservice-portal", PortalNamespace);
        return lease.Spec.HolderIdentity;
    }

    /// <summary>Everything both portals logged, for failure messages.</summary>
    public string Logs() => string.Join("\n", portals.Select(p => $"--- {p.Name}\n{p.Tail(80)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var portal in portals)
        {
            await portal.DisposeAsync();
        }

        await redis.DisposeAsync();
        await Sandbox.DisposeAsync();
        if (postgres is not null)
        {
            await (await PostgresServer.Shared).DropDatabaseAsync(postgres);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Dictionary<string, string?> Settings(string identity)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Clusters:default:Kubeconfig"] = Sandbox.Kubeconfig,
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Leadership:Enabled"] = "true",
            ["Leadership:Namespace"] = PortalNamespace,
            ["Leadership:Identity"] = identity,
            ["Rollouts:PollInterval"] = "00:00:00.200",
            // Demo users and teams, but not the demo's own deploys: the tests count the cluster's writes.
            ["Portal:DemoActivity"] = "false",
        };
        switch (Database)
        {
            case SharedDatabase.SqliteFile:
                break;
            case SharedDatabase.Postgres:
                settings["Database:Provider"] = "Postgres";
                settings["ConnectionStrings:Portal"] = postgres;
                break;
        }

        // One data folder: one Data Protection key ring (and the SQLite file), so a cookie from A is good on B.
        settings["Portal:DataDirectory"] = dataDirectory;

        return settings;
    }
}
