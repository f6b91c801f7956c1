using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Requests;

namespace Portal.Operations;

/// <summary>Gauges read when <c>/metrics</c> is scraped: requests by state (one grouped query) and leader status.</summary>
public sealed class PortalGauges
{
    private readonly IDbContextFactory<PortalDbContext> dbFactory;

    public PortalGauges(IMeterFactory meters, IDbContextFactory<PortalDbContext> dbFactory)
    {
        this.dbFactory = dbFactory;
        var meter = meters.Create(PortalMetrics.MeterName);
        meter.CreateObservableGauge("portal.requests", RequestsByState, "{request}", "Deployment requests by state");
        meter.CreateObservableGauge("portal.leader", () => IsLeader ? 1 : 0, "{leader}", "1 when this instance runs the apply worker");
    }

    /// <summary>Whether this instance applies requests. A single instance always does; leader election sets it.</summary>
    public bool IsLeader { get; set; } = true;

    private IEnumerable<Measurement<long>> RequestsByState()
    {
        using var db = dbFactory.CreateDbContext();
        var counts = db.DeploymentRequests.GroupBy(r => r.State).Select(g => new { State = g.Key, Count = g.LongCount() }).ToDictionary(c => c.State, c => c.Count);
        return Enum.GetValues<RequestState>()
            .Select(state => new Measurement<long>(counts.GetValueOrDefault(state), new KeyValuePair<string, object?>("state", state.ToString())))
            .ToList();
    }
}
