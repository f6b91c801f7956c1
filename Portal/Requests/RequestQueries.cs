using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Requests;

public sealed record CurrentRevision(int Id, int Revision, RequestSpec Spec);

public sealed record RequestRow(
    int Id,
    string Team,
    string Service,
    string Environment,
    RequestState State,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    string ImageTag,
    int? Revision,
    bool BreakGlass = false)
{
    /// <summary>The requester's comment (the approvals inbox shows it).</summary>
    public string Comment { get; init; } = "";
}

/// <summary>What a page of requests is narrowed to; null means any.</summary>
public sealed record RequestFilter(int? TeamId = null, int? ServiceId = null, string? Environment = null, RequestState? State = null);

public enum RequestScope
{
    Mine,
    MyTeams,
}

public sealed record RequestDetail(
    DeploymentRequest Request,
    string Team,
    string Service,
    Review Review,
    IReadOnlyList<SecretValueInfo> Secrets,
    IReadOnlyList<AuditEvent> Timeline,
    CurrentRevision? Current);

/// <summary>Read side of requests: lists, the approvals inbox, a request's page, a service's history.</summary>
public sealed class RequestQueries(
    IDbContextFactory<PortalDbContext> dbFactory,
    TeamAccess access,
    Microsoft.Extensions.Options.IOptions<Cluster.EnvironmentCatalog> environments,
    TimeProvider time,
    RequestDetailCache details,
    RequestStamps stamps)
{
    // Read by every draft, review and submit.
    private static readonly PerEngine<Func<PortalDbContext, int, string, Task<CurrentRevision?>>> CurrentRevisionQuery = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, int serviceId, string environment) => db.DeploymentRequests.AsNoTracking()
            .Where(r => r.ServiceId == serviceId && r.Environment == environment && r.Revision != null)
            .OrderByDescending(r => r.Revision)
            .Select(r => new CurrentRevision(r.Id, r.Revision!.Value, r.Spec))
            .FirstOrDefault()));

    public static Task<CurrentRevision?> CurrentRevisionAsync(PortalDbContext db, int serviceId, string environment) =>
        CurrentRevisionQuery.For(db)(db, serviceId, environment);

    public static async Task<RequestSpec?> LastAppliedSpecAsync(PortalDbContext db, int serviceId, string environment) =>
        await db.DeploymentRequests.AsNoTracking()
            .Where(r => r.ServiceId == serviceId && r.Environment == environment)
            .Where(r => r.State == RequestState.Applying || r.State == RequestState.RollingOut || r.State == RequestState.Succeeded || r.State == RequestState.Failed || r.State == RequestState.RolledBack)
            .OrderByDescending(r => r.Id)
            .Select(r => r.Spec)
            .FirstOrDefaultAsync();

    public async Task<CurrentRevision?> CurrentRevisionAsync(int serviceId, string environment)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await CurrentRevisionAsync(db, serviceId, environment);
    }

    public async Task<bool> ExistsAsync(int requestId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await db.DeploymentRequests.AnyAsync(r => r.Id == requestId);
    }

    public async Task<(IReadOnlyList<RequestRow> Items, int Total)> ListAsync(ClaimsPrincipal user, RequestScope scope, RequestState? state, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var userId = TeamAccess.UserId(user) ?? "";
        var requests = db.DeploymentRequests.AsNoTracking();
        requests = scope == RequestScope.Mine
            ? requests.Where(r => r.RequestedById == userId)
            : requests.Where(r => db.TeamMembers.Any(m => m.TeamId == r.Service.TeamId && m.UserId == userId) || r.RequestedById == userId);
        if (state is { } wanted)
        {
            requests = requests.Where(r => r.State == wanted);
        }

        var total = await requests.CountAsync(cancellationToken);
        var items = await Rows(requests.OrderByDescending(r => r.Id).Skip(page * pageSize).Take(pageSize)).ToListAsync(cancellationToken);
        return (items, total);
    }

    /// <summary>
    /// One page of the requests the user may see (their teams', every team's for an Admin), newest first, narrowed by
    /// the filter; paged in SQL. <paramref name="page"/> counts from 1.
    /// </summary>
    public async Task<(IReadOnlyList<RequestRow> Items, int Total)> PageAsync(ClaimsPrincipal user, RequestFilter filter, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var requests = Filtered(db, user, filter);
        var total = await requests.CountAsync(cancellationToken);
        var items = await Rows(Paged(requests, page, pageSize)).ToListAsync(cancellationToken);
        return (items, total);
    }

    /// <summary>The SQL of a page query, so tests can see that paging runs in the database.</summary>
    internal string PageSql(ClaimsPrincipal user, RequestFilter filter, int page, int pageSize)
    {
        using var db = dbFactory.CreateDbContext();
        return Rows(Paged(Filtered(db, user, filter), page, pageSize)).ToQueryString();
    }

    private static IQueryable<DeploymentRequest> Paged(IQueryable<DeploymentRequest> requests, int page, int pageSize) =>
        requests.OrderByDescending(r => r.Id).Skip((page - 1) * pageSize).Take(pageSize);

    private static IQueryable<DeploymentRequest> Filtered(PortalDbContext db, ClaimsPrincipal user, RequestFilter filter)
    {
        var requests = db.DeploymentRequests.AsNoTracking();
        if (!TeamAccess.IsAdmin(user))
        {
            var userId = TeamAccess.UserId(user) ?? "";
            requests = requests.Where(r => db.TeamMembers.Any(m => m.TeamId == r.Service.TeamId && m.UserId == userId));
        }

        if (filter.TeamId is { } teamId)
        {
            requests = requests.Where(r => r.Service.TeamId == teamId);
        }

        if (filter.ServiceId is { } serviceId)
        {
            requests = requests.Where(r => r.ServiceId == serviceId);
        }

        if (filter.Environment is { } environment)
        {
            requests = requests.Where(r => r.Environment == environment);
        }

        if (filter.State is { } state)
        {
            requests = requests.Where(r => r.State == state);
        }

        return requests;
    }

    /// <summary>Requests waiting for a decision the user may make: their teams' as Approver (all for an Admin), never their own.</summary>
    public async Task<IReadOnlyList<RequestRow>> InboxAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Rows(Inbox(db, user).OrderBy(r => r.CreatedAt)).ToListAsync(cancellationToken);
    }

    public async Task<int> InboxCountAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Inbox(db, user).CountAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RequestRow>> HistoryAsync(ClaimsPrincipal user, int serviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var teamId = await db.Services.Where(s => s.Id == serviceId).Select(s => s.TeamId).SingleOrDefaultAsync(cancellationToken);
        if (!await access.CanSeeAsync(user, teamId, cancellationToken))
        {
            return [];
        }

        return await Rows(db.DeploymentRequests.Where(r => r.ServiceId == serviceId).OrderByDescending(r => r.Id).Take(200)).ToListAsync(cancellationToken);
    }

    public Task<RequestDetail?> DetailAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken = default) =>
        FullDetailAsync(user, requestId, cancellationToken);

    /// <summary>
    /// What the API returns of a request: the detail without its timeline and the environment's current revision. When
    /// <see cref="RequestDetailCache"/> holds the request, one small prepared query (<see cref="RequestStamps"/>: its
    /// version, team and names) tells whether that is still it, and the detail made for those names is returned again
    /// (the same instance, so the API can keep its JSON with it); otherwise it is read whole and kept.
    /// </summary>
    public async Task<RequestDetail?> ResourceDetailAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken = default)
    {
        if (details.Find(requestId) is { } entry)
        {
            var stamp = await stamps.FindAsync(requestId, cancellationToken);
            if (stamp is null || !await access.CanSeeAsync(user, stamp.TeamId, cancellationToken))
            {
                return null;
            }

            if (stamp.Version == entry.Request.Version)
            {
                // The names as they are now (a service or team may be renamed without the request changing).
                return Kept(entry, stamp.Team, stamp.Service);
            }
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await VisibleAsync(db, user, requestId, cancellationToken) is not { } request)
        {
            return null;
        }

        entry = new RequestDetailCache.Entry(request, await BaseSpecAsync(db, request, cancellationToken), await SecretsAsync(db, request, cancellationToken));
        details.Remember(entry);
        return Kept(entry, request.Service.Team.Name, request.Service.Name);
    }

    /// <summary>
    /// The entry's detail for these names, made once and kept with the entry. The review depends on the stored request,
    /// its base spec and the environment's settings (fixed while the portal runs), and on the time only through the
    /// approval policy's answer, which is part of what the kept detail is checked against.
    /// </summary>
    private RequestDetail Kept(RequestDetailCache.Entry entry, string team, string service)
    {
        var request = entry.Request;
        var environment = EnvironmentOf(request);
        var now = time.GetUtcNow();
        var approverDecides = ApprovalPolicy.ApproverDecidesDeploys(environment, now);
        if (entry.Detail is { } kept && kept.Team == team && kept.Service == service && kept.ApproverDecides == approverDecides)
        {
            return kept.Detail;
        }

        var detail = new RequestDetail(request, team, service, SpecReview.Compare(entry.BaseSpec, request.Spec, request.SecretChanges, environment, now), entry.Secrets, [], null);
        entry.Detail = new RequestDetailCache.KeptDetail(team, service, approverDecides, detail);
        return detail;
    }

    /// <summary>
    /// The API resource of a request its submitter has just stored, made from what the submit holds (the stored request
    /// with its service, team and decisions, and the spec of its base revision) instead of reading it back, and kept in
    /// <see cref="RequestDetailCache"/> at the version it was stored with. Null when the request has secrets (their
    /// metadata is read from the database then, as by <see cref="ResourceDetailAsync"/>).
    /// </summary>
    public RequestDetail? Submitted(DeploymentRequest request, RequestSpec? baseSpec)
    {
        if (request.Spec.Secrets.Count > 0)
        {
            return null;
        }

        var entry = new RequestDetailCache.Entry(request, baseSpec, []);
        details.Remember(entry);
        return Kept(entry, request.Service.Team.Name, request.Service.Name);
    }

    /// <summary>The request with its service, team and decisions; null when it does not exist or <paramref name="user"/> may not see it.</summary>
    private async Task<DeploymentRequest?> VisibleAsync(PortalDbContext db, ClaimsPrincipal user, int requestId, CancellationToken cancellationToken)
    {
        var request = await db.DeploymentRequests.AsNoTracking()
            .Include(r => r.Service).ThenInclude(s => s.Team)
            .Include(r => r.Decisions)
            .SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        return request is not null && await access.CanSeeAsync(user, request.Service.TeamId, cancellationToken) ? request : null;
    }

    private static async Task<RequestSpec?> BaseSpecAsync(PortalDbContext db, DeploymentRequest request, CancellationToken cancellationToken) =>
        request.BaseRevision is { } revision
            ? await db.DeploymentRequests.Where(r => r.ServiceId == request.ServiceId && r.Environment == request.Environment && r.Revision == revision).Select(r => r.Spec).SingleOrDefaultAsync(cancellationToken)
            : null;

    private static async Task<IReadOnlyList<SecretValueInfo>> SecretsAsync(PortalDbContext db, DeploymentRequest request, CancellationToken cancellationToken)
    {
        var valueIds = request.Spec.Secrets.Select(s => s.ValueId).ToList();
        return valueIds.Count == 0 ? [] : await db.SecretValues.Where(v => valueIds.Contains(v.Id)).OrderBy(v => v.Key)
            .Select(v => new SecretValueInfo(v.Key, v.SetBy, v.SetAt)).ToListAsync(cancellationToken);
    }

    private Cluster.DeploymentEnvironment EnvironmentOf(DeploymentRequest request) =>
        environments.Value.Find(request.Environment) ?? new Cluster.DeploymentEnvironment { Name = request.Environment };

    private RequestDetail Detail(DeploymentRequest request, string team, string service, RequestSpec? baseSpec, IReadOnlyList<SecretValueInfo> secrets, IReadOnlyList<AuditEvent> timeline, CurrentRevision? current)
    {
        var environment = EnvironmentOf(request);
        return new RequestDetail(request, team, service, SpecReview.Compare(baseSpec, request.Spec, request.SecretChanges, environment, time.GetUtcNow()), secrets, timeline, current);
    }

    /// <summary>For the request's page: with its timeline and the environment's current revision, read now.</summary>
    private async Task<RequestDetail?> FullDetailAsync(ClaimsPrincipal user, int requestId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await VisibleAsync(db, user, requestId, cancellationToken) is not { } request)
        {
            return null;
        }

        var baseSpec = await BaseSpecAsync(db, request, cancellationToken);
        var secrets = await SecretsAsync(db, request, cancellationToken);
        var timeline = await db.AuditEvents.AsNoTracking().Where(e => e.RequestId == requestId && e.To != null).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var current = await CurrentRevisionAsync(db, request.ServiceId, request.Environment);
        return Detail(request, request.Service.Team.Name, request.Service.Name, baseSpec, secrets, timeline, current);
    }

    private static IQueryable<DeploymentRequest> Inbox(PortalDbContext db, ClaimsPrincipal user)
    {
        var userId = TeamAccess.UserId(user) ?? "";
        var waiting = db.DeploymentRequests.Where(r => r.State == RequestState.AwaitingApproval && r.RequestedById != userId);
        return TeamAccess.IsAdmin(user)
            ? waiting
            : waiting.Where(r => db.TeamMembers.Any(m => m.TeamId == r.Service.TeamId && m.UserId == userId && m.Role == TeamRole.Approver));
    }

    private static IQueryable<RequestRow> Rows(IQueryable<DeploymentRequest> requests) =>
        requests.Select(r => new RequestRow(r.Id, r.Service.Team.Name, r.Service.Name, r.Environment, r.State, r.RequestedBy, r.CreatedAt, r.ImageTag, r.Revision, r.BreakGlassReason != null) { Comment = r.Comment });
}
