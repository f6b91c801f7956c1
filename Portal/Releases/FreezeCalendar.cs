using Microsoft.EntityFrameworkCore;
using Portal.Cluster;
using Portal.Data;

namespace Portal.Releases;

/// <summary>Which freeze window, configured or stored, is in force in an environment at a moment: the input the approval policy reads.</summary>
public sealed class FreezeCalendar(IDbContextFactory<PortalDbContext> dbFactory)
{
    // Read by every submit and approval.
    private static readonly PerEngine<Func<PortalDbContext, string, IAsyncEnumerable<FreezeWindow>>> StoredWindows = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, string environment) => db.FreezeWindows.AsNoTracking().Where(w => w.Environment == environment)));

    public async Task<ActiveFreeze?> ActiveAsync(DeploymentEnvironment environment, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await StoredWindows.For(db)(db, environment.Name).ToListAsync(cancellationToken);
        return Active(environment, [.. environment.FreezeWindows, .. stored], at);
    }

    /// <summary>Of the windows in force at <paramref name="at"/>, the one that ends last: that is how long the freeze lasts.</summary>
    public static ActiveFreeze? Active(DeploymentEnvironment environment, IEnumerable<FreezeWindow> windows, DateTimeOffset at) => windows
        .Select(w => (Window: w, Until: w.EndIfActive(at)))
        .Where(a => a.Until is not null)
        .OrderByDescending(a => a.Until)
        .Select(a => new ActiveFreeze(environment.Name, a.Window.Reason, a.Until!.Value, a.Window.Id == 0 ? null : a.Window.Id))
        .FirstOrDefault();
}
