using System.Linq.Expressions;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Metrics;

/// <summary>Which requests to measure: a team, optionally one of its services and environments, over [From, To).</summary>
public sealed record DeliveryQuery(string? Team, string? Service, string? Environment, DateTimeOffset From, DateTimeOffset To);

/// <summary>Count, median and 90th percentile (nearest rank: the value at position ceil(p·n) in ascending order), average.</summary>
public sealed record DurationStats(int Count, double? MedianSeconds, double? P90Seconds, double? AverageSeconds)
{
    public static readonly DurationStats None = new(0, null, null, null);
}

/// <summary>Deployments and failures that finished in one bucket of the period (a day, a week or 30 days).</summary>
public sealed record DeliveryBucket(DateTimeOffset Start, int Deployments, int Failures);

/// <summary>
/// The four delivery (DORA) measures and approval wait. A deployment is a request that became healthy (Succeeded); a
/// failure is a request that failed (apply error or failed rollout; rolled-back requests failed first). Change failure
/// rate = failures / (deployments + failures). Time to restore runs from a failure to the next healthy deployment of
/// the same service and environment; failures not restored yet are counted in <see cref="Unrestored"/>.
/// </summary>
public sealed record DeliveryReport(
    string? Team,
    string? Service,
    string? Environment,
    DateTimeOffset From,
    DateTimeOffset To,
    int Deployments,
    double DeploymentsPerDay,
    DurationStats LeadTime,
    DurationStats ApprovalWait,
    int Failures,
    double? ChangeFailureRate,
    DurationStats TimeToRestore,
    int Unrestored,
    IReadOnlyList<DeliveryBucket> Buckets);

/// <summary>
/// Computes delivery metrics in the database with a fixed number of queries (EF Core LINQ, no provider-specific SQL):
/// the bars are grouped by bucket in SQL; percentiles are picked from one projected column per measure, since SQLite
/// has no percentile function; time to restore brings back one pair of times per failure.
/// The times come from columns stamped at each transition (<see cref="DeliveryTimes"/>), indexed per measure.
/// </summary>
public sealed class DeliveryMetrics(IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access)
{
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(366);

    /// <summary>The report, or why not: a bad period (field errors), or a team or service the user cannot see.</summary>
    public async Task<Outcome<DeliveryReport>> MeasureAsync(ClaimsPrincipal user, DeliveryQuery query, CancellationToken cancellationToken = default)
    {
        if (query.To <= query.From)
        {
            return Outcome<DeliveryReport>.Invalid("to", "The end of the period must be after its start.");
        }

        if (query.To - query.From > MaxPeriod)
        {
            return Outcome<DeliveryReport>.Invalid("from", $"The period can be at most {MaxPeriod.TotalDays:0} days long.");
        }

        if (query.Service is not null && query.Team is null)
        {
            return Outcome<DeliveryReport>.Invalid("team", "Name the team of the service.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var scope = db.DeploymentRequests.AsNoTracking();
        if (query.Team is not null)
        {
            var teamId = await db.Teams.Where(t => t.Name == query.Team).Select(t => (int?)t.Id).SingleOrDefaultAsync(cancellationToken);
            if (teamId is null || !await access.CanSeeAsync(user, teamId.Value, cancellationToken))
            {
                return Outcome<DeliveryReport>.NotFound($"There is no team {query.Team} you can see.");
            }

            var serviceId = query.Service is null
                ? null
                : await db.Services.Where(s => s.TeamId == teamId && s.Name == query.Service).Select(s => (int?)s.Id).SingleOrDefaultAsync(cancellationToken);
            if (query.Service is not null && serviceId is null)
            {
                return Outcome<DeliveryReport>.NotFound($"Team {query.Team} has no service {query.Service}.");
            }

            scope = serviceId is { } id ? scope.Where(r => r.ServiceId == id) : scope.Where(r => r.Service.TeamId == teamId);
        }
        else if (!TeamAccess.IsAdmin(user))
        {
            var userId = TeamAccess.UserId(user) ?? "";
            var teams = db.TeamMembers.Where(m => m.UserId == userId).Select(m => m.TeamId);
            scope = scope.Where(r => teams.Contains(r.Service.TeamId));
        }

        if (query.Environment is not null)
        {
            scope = scope.Where(r => r.Environment == query.Environment);
        }

        return Outcome<DeliveryReport>.Ok(await MeasureAsync(db, scope, query, cancellationToken));
    }

    /// <summary>
    /// The measures over <paramref name="scope"/> (already limited to what the caller may see) in five queries whatever the
    /// period: deployments with their lead times, approval waits, failures with their restore times, and the bars
    /// (deployments and failures grouped by bucket in SQL).
    /// </summary>
    public static async Task<DeliveryReport> MeasureAsync(PortalDbContext db, IQueryable<DeploymentRequest> scope, DeliveryQuery query, CancellationToken cancellationToken)
    {
        // Times are stored as UTC; a bound with another offset would compare wrongly in SQL.
        var (from, to) = (query.From.ToUniversalTime(), query.To.ToUniversalTime());
        var healthy = scope.Where(r => r.HealthyAt >= from && r.HealthyAt < to);
        var failed = scope.Where(r => r.FailedAt >= from && r.FailedAt < to);

        // Neither engine shares a percentile function (SQLite has none): one projected column per measure, sorted here.
        var leadTimes = await healthy.Select(r => r.LeadTimeSeconds).ToListAsync(cancellationToken);
        var deployments = leadTimes.Count;
        var leadTime = Stats([.. leadTimes.Where(s => s is not null).Select(s => (double)s!.Value).Order()]);
        var approvalWait = Stats([.. (await scope
            .Where(r => r.DecidedAt >= from && r.DecidedAt < to && r.ApprovalWaitSeconds != null)
            .Select(r => r.ApprovalWaitSeconds!.Value)
            .ToListAsync(cancellationToken)).Select(s => (double)s).Order()]);

        // One row per failure: when it failed and when its service and environment were next healthy (a correlated MIN).
        var restores = await failed
            .Select(f => new
            {
                FailedAt = f.FailedAt!.Value,
                RestoredAt = db.DeploymentRequests
                    .Where(s => s.ServiceId == f.ServiceId && s.Environment == f.Environment && s.HealthyAt > f.FailedAt)
                    .OrderBy(s => s.HealthyAt)
                    .Select(s => s.HealthyAt)
                    .FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var restoreSeconds = restores.Where(r => r.RestoredAt is not null).Select(r => (r.RestoredAt!.Value - r.FailedAt).TotalSeconds).Order().ToList();
        var failures = restores.Count;

        var width = BucketWidth(to - from);
        var starts = new List<DateTimeOffset>();
        for (var start = from; start < to; start += width)
        {
            starts.Add(start);
        }

        var deployed = await CountPerBucketAsync(healthy, BucketOf(r => r.HealthyAt, starts), cancellationToken);
        var broken = await CountPerBucketAsync(failed, BucketOf(r => r.FailedAt, starts), cancellationToken);
        var buckets = starts.Select((start, i) => new DeliveryBucket(start, deployed.GetValueOrDefault(i), broken.GetValueOrDefault(i))).ToList();

        return new DeliveryReport(
            query.Team,
            query.Service,
            query.Environment,
            from,
            to,
            deployments,
            deployments / (to - from).TotalDays,
            leadTime,
            approvalWait,
            failures,
            deployments + failures == 0 ? null : (double)failures / (deployments + failures),
            Stats(restoreSeconds),
            restores.Count - restoreSeconds.Count,
            buckets);
    }

    /// <summary>A day up to a month's period, a week up to half a year, else 30 days: at most about 31 bars.</summary>
    public static TimeSpan BucketWidth(TimeSpan period) =>
        period <= TimeSpan.FromDays(31) ? TimeSpan.FromDays(1) : period <= TimeSpan.FromDays(217) ? TimeSpan.FromDays(7) : TimeSpan.FromDays(30);

    /// <summary>Nearest-rank position (0-based) of percentile <paramref name="p"/> among <paramref name="count"/> ascending values.</summary>
    public static int Rank(double p, int count) => Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1);

    /// <summary>
    /// The bucket index of a time as a SQL CASE over the buckets' starts (a parameter each): <c>time &lt; start1 ? 0 :
    /// time &lt; start2 ? 1 : ...</c>. Comparisons are all both engines need, whatever they store a time as.
    /// </summary>
    private static Expression<Func<DeploymentRequest, int>> BucketOf(Expression<Func<DeploymentRequest, DateTimeOffset?>> time, List<DateTimeOffset> starts)
    {
        Expression index = Expression.Constant(starts.Count - 1);
        for (var i = starts.Count - 2; i >= 0; i--)
        {
            var next = new Boundary(starts[i + 1]);
            var bound = Expression.Convert(Expression.Property(Expression.Constant(next), nameof(Boundary.At)), typeof(DateTimeOffset?));
            index = Expression.Condition(Expression.LessThan(time.Body, bound), Expression.Constant(i), index);
        }

        return Expression.Lambda<Func<DeploymentRequest, int>>(index, time.Parameters);
    }

    /// <summary>How many of <paramref name="rows"/> fall in each bucket: one GROUP BY query.</summary>
    private static async Task<Dictionary<int, int>> CountPerBucketAsync(IQueryable<DeploymentRequest> rows, Expression<Func<DeploymentRequest, int>> bucket, CancellationToken cancellationToken) =>
        await rows.GroupBy(bucket).Select(g => new { Bucket = g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Bucket, g => g.Count, cancellationToken);

    /// <summary>A bucket boundary read through a member, so that EF Core sends it as a parameter (converted like the column).</summary>
    private sealed class Boundary(DateTimeOffset at)
    {
        public DateTimeOffset At { get; } = at;
    }

    private static DurationStats Stats(List<double> ascending) => ascending.Count == 0
        ? DurationStats.None
        : new DurationStats(ascending.Count, ascending[Rank(0.5, ascending.Count)], ascending[Rank(0.9, ascending.Count)], ascending.Average());
}
