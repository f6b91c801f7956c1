using System.Diagnostics.Metrics;

namespace Portal.Operations;

/// <summary>
/// The portal's own instruments, exported on <c>/metrics</c> and over OTLP. Counters and histograms are recorded with
/// one call where the thing happens; gauges that read state live in <see cref="PortalGauges"/>.
/// </summary>
public static class PortalMetrics
{
    public const string MeterName = "SelfService.Portal";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> ApplyAttempts = Meter.CreateCounter<long>("portal.apply.attempts", "{attempt}", "Server-side apply attempts of a request's objects");

    private static readonly Counter<long> ApplyFailures = Meter.CreateCounter<long>("portal.apply.failures", "{attempt}", "Apply attempts the cluster failed or refused");

    private static readonly Counter<long> WatchRestarts = Meter.CreateCounter<long>("portal.watch.restarts", "{restart}", "Watches listed again from scratch after 410 Gone or an error");

    private static readonly UpDownCounter<long> HubConnections = Meter.CreateUpDownCounter<long>("portal.hub.connections", "{connection}", "Open connections to the rollout hub");

    private static readonly UpDownCounter<long> Circuits = Meter.CreateUpDownCounter<long>("portal.circuits", "{circuit}", "Open Blazor Server circuits");

    private static readonly Histogram<double> ApprovalDuration = Meter.CreateHistogram<double>("portal.request.approval.duration", "s", "From submit to approval");

    private static readonly Histogram<double> RolloutDuration = Meter.CreateHistogram<double>("portal.request.rollout.duration", "s", "From approval to a healthy rollout");

    private static readonly Histogram<double> LeadTime = Meter.CreateHistogram<double>("portal.request.lead_time", "s", "From submit to a healthy rollout");

    public static void ApplyAttempted() => ApplyAttempts.Add(1);

    public static void ApplyFailed(bool transient) => ApplyFailures.Add(1, new KeyValuePair<string, object?>("transient", transient));

    /// <summary>A watch listed from scratch; every listing after its first is a restart.</summary>
    public static void WatchListed(string kind, int listings)
    {
        if (listings > 1)
        {
            WatchRestarts.Add(1, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    internal static void HubConnected(string hub, int delta) => HubConnections.Add(delta, new KeyValuePair<string, object?>("hub", hub));

    internal static void CircuitOpened(int delta) => Circuits.Add(delta);

    internal static void Approved(string environment, TimeSpan sinceSubmit) =>
        ApprovalDuration.Record(sinceSubmit.TotalSeconds, new KeyValuePair<string, object?>("environment", environment));

    internal static void Healthy(string environment, TimeSpan sinceApproval, TimeSpan sinceSubmit)
    {
        var tag = new KeyValuePair<string, object?>("environment", environment);
        RolloutDuration.Record(sinceApproval.TotalSeconds, tag);
        LeadTime.Record(sinceSubmit.TotalSeconds, tag);
    }
}
