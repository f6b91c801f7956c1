using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Catalog;

public enum CatalogSort
{
    Name,
    Team,
    UpdatedAt,
}

public sealed record CatalogQuery(
    string? Search = null,
    bool MyTeamsOnly = false,
    bool IncludeArchived = false,
    CatalogSort SortBy = CatalogSort.Name,
    bool Descending = false,
    int Page = 0,
    int PageSize = 25,
    string? Team = null);

public sealed record ServiceRow(int Id, string Name, string Team, string ImageRepository, string Description, bool Archived, DateTimeOffset UpdatedAt)
{
    /// <summary>Each environment's last applied request: its state and version. Empty when nothing was deployed.</summary>
    public IReadOnlyList<EnvironmentVersion> Environments { get; init; } = [];
}

/// <summary>What the catalog shows of a service in one environment: the state and image tag of its last applied request.</summary>
public sealed record EnvironmentVersion(int ServiceId, string Environment, Requests.RequestState State, string ImageTag, int? Revision);

public sealed record CatalogPage(IReadOnlyList<ServiceRow> Items, int TotalCount);

/// <summary>Registers, changes, archives and lists services. Changes are allowed to the owning team's members and Admins.</summary>
public sealed class ServiceCatalog(IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access, TimeProvider time)
{
    public const int MaxPageSize = 200;

    public async Task<CatalogPage> PageAsync(ClaimsPrincipal user, CatalogQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = Filter(db, user, query);
        var total = await rows.CountAsync(cancellationToken);
        var items = await Order(rows, query)
            .Skip(Math.Max(0, query.Page) * PageSize(query))
            .Take(PageSize(query))
            .Select(s => new ServiceRow(s.Id, s.Name, s.Team.Name, s.ImageRepository, s.Description, s.ArchivedAt != null, s.UpdatedAt))
            .ToListAsync(cancellationToken);
        var versions = await EnvironmentVersionsAsync(db, [.. items.Select(i => i.Id)], cancellationToken);
        return new CatalogPage([.. items.Select(i => i with { Environments = versions[i.Id].ToList() })], total);
    }

    private static readonly Requests.RequestState[] Applied =
        [Requests.RequestState.Applying, Requests.RequestState.RollingOut, Requests.RequestState.Succeeded, Requests.RequestState.Failed, Requests.RequestState.RolledBack];

    /// <summary>
    /// The last applied request of each (service, environment) of one page, in one query (a correlated MAX(Id) on the
    /// (ServiceId, Environment, ...) index), whatever the page size: no query per row.
    /// </summary>
    private static async Task<ILookup<int, EnvironmentVersion>> EnvironmentVersionsAsync(PortalDbContext db, List<int> serviceIds, CancellationToken cancellationToken)
    {
        if (serviceIds.Count == 0)
        {
            return Array.Empty<EnvironmentVersion>().ToLookup(v => v.ServiceId);
        }

        var latest = await db.DeploymentRequests.AsNoTracking()
            .Where(r => serviceIds.Contains(r.ServiceId) && Applied.Contains(r.State))
            .Where(r => r.Id == db.DeploymentRequests.Where(o => o.ServiceId == r.ServiceId && o.Environment == r.Environment && Applied.Contains(o.State)).Max(o => o.Id))
            .Select(r => new EnvironmentVersion(r.ServiceId, r.Environment, r.State, r.ImageTag, r.Revision))
            .ToListAsync(cancellationToken);
        return latest.ToLookup(v => v.ServiceId);
    }

    /// <summary>The SQL of a page query, so tests can see that paging and filtering run in the database.</summary>
    internal string PageSql(ClaimsPrincipal user, CatalogQuery query)
    {
        using var db = dbFactory.CreateDbContext();
        return Order(Filter(db, user, query), query).Skip(query.Page * PageSize(query)).Take(PageSize(query)).ToQueryString();
    }

    public async Task<Service?> FindAsync(string team, string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Services.Include(s => s.Team).AsNoTracking()
            .SingleOrDefaultAsync(s => s.Team.Name == team && s.Name == name, cancellationToken);
    }

    public async Task<Outcome<Service>> RegisterAsync(ClaimsPrincipal user, ServiceForm form)
    {
        var errors = form.Errors();
        if (errors.Count > 0)
        {
            return Outcome<Service>.Invalid(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var team = await db.Teams.SingleOrDefaultAsync(t => t.Name == form.Team);
        if (team is null)
        {
            return Outcome<Service>.Invalid(nameof(ServiceForm.Team), $"There is no team '{form.Team}'.");
        }

        if (!await access.CanChangeAsync(user, team.Id))
        {
            return Outcome<Service>.Forbidden($"Only members of {team.Name} can register its services.");
        }

        var name = form.Name.Trim();
        if (await db.Services.AnyAsync(s => s.TeamId == team.Id && s.Name == name))
        {
            return Outcome<Service>.Invalid(nameof(ServiceForm.Name), $"{team.Name} already has a service named '{name}'.");
        }

        var now = time.GetUtcNow();
        var service = new Service
        {
            TeamId = team.Id,
            Name = name,
            ImageRepository = form.ImageRepository.Trim(),
            CreatedAt = now,
            CreatedBy = user.Identity?.Name ?? "",
        };
        Apply(form, service, now);
        db.Services.Add(service);
        Releases.AuditLog.Record(db, Requests.AuditSubject.Service, $"{team.Name}/{name}", "Registered", team.Id, user.Identity?.Name ?? "", now, $"Image {service.ImageRepository}.");
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException e) when (db.IsUniqueViolation(e))
        {
            // Two people registered the same name at once: the unique index let one through.
            return Outcome<Service>.Invalid(nameof(ServiceForm.Name), $"{team.Name} already has a service named '{name}'.");
        }

        service.Team = team;
        return Outcome<Service>.Ok(service);
    }

    /// <summary>Changes a service's settings. Its name and team are its identity and do not change.</summary>
    public async Task<Outcome<Service>> UpdateAsync(ClaimsPrincipal user, int serviceId, ServiceForm form)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var service = await db.Services.Include(s => s.Team).SingleOrDefaultAsync(s => s.Id == serviceId);
        if (service is null)
        {
            return Outcome<Service>.NotFound("That service does not exist.");
        }

        if (!await access.CanChangeAsync(user, service.TeamId))
        {
            return Outcome<Service>.Forbidden($"Only members of {service.Team.Name} can change its services.");
        }

        form.Name = service.Name;
        form.Team = service.Team.Name;
        var errors = form.Errors();
        if (errors.Count > 0)
        {
            return Outcome<Service>.Invalid(errors);
        }

        if (service.IsArchived)
        {
            return Outcome<Service>.Conflict($"{service.Name} is archived: restore it before changing it.");
        }

        service.ImageRepository = form.ImageRepository.Trim();
        Apply(form, service, time.GetUtcNow());
        var changed = string.Join(", ", db.Entry(service).Properties.Where(p => p.IsModified && p.Metadata.Name != nameof(Service.UpdatedAt)).Select(p => p.Metadata.Name));
        Releases.AuditLog.Record(db, Requests.AuditSubject.Service, $"{service.Team.Name}/{service.Name}", "Changed", service.TeamId, user.Identity?.Name ?? "", time.GetUtcNow(), changed.Length == 0 ? "Nothing changed." : $"Changed: {changed}.");
        await db.SaveChangesAsync();
        return Outcome<Service>.Ok(service);
    }

    public Task<Outcome<Service>> ArchiveAsync(ClaimsPrincipal user, int serviceId) => SetArchivedAsync(user, serviceId, archived: true);

    public Task<Outcome<Service>> RestoreAsync(ClaimsPrincipal user, int serviceId) => SetArchivedAsync(user, serviceId, archived: false);

    private async Task<Outcome<Service>> SetArchivedAsync(ClaimsPrincipal user, int serviceId, bool archived)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var service = await db.Services.Include(s => s.Team).SingleOrDefaultAsync(s => s.Id == serviceId);
        if (service is null)
        {
            return Outcome<Service>.NotFound("That service does not exist.");
        }

        if (!await access.CanChangeAsync(user, service.TeamId))
        {
            return Outcome<Service>.Forbidden($"Only members of {service.Team.Name} can {(archived ? "archive" : "restore")} its services.");
        }

        var now = time.GetUtcNow();
        service.ArchivedAt = archived ? now : null;
        service.UpdatedAt = now;
        Releases.AuditLog.Record(db, Requests.AuditSubject.Service, $"{service.Team.Name}/{service.Name}", archived ? "Archived" : "Restored", service.TeamId, user.Identity?.Name ?? "", now);
        await db.SaveChangesAsync();
        return Outcome<Service>.Ok(service);
    }

    private IQueryable<Service> Filter(PortalDbContext db, ClaimsPrincipal user, CatalogQuery query)
    {
        var services = db.Services.AsNoTracking();
        if (!query.IncludeArchived)
        {
            services = services.Where(s => s.ArchivedAt == null);
        }

        if (query.MyTeamsOnly)
        {
            var userId = TeamAccess.UserId(user) ?? "";
            services = services.Where(s => db.TeamMembers.Any(m => m.TeamId == s.TeamId && m.UserId == userId));
        }

        if (!string.IsNullOrWhiteSpace(query.Team))
        {
            var team = query.Team.Trim();
            services = services.Where(s => s.Team.Name == team);
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var search = query.Search.Trim().ToLowerInvariant();
            services = services.Where(s => s.Name.Contains(search) || s.Team.Name.Contains(search));
        }

        return services;
    }

    private static IQueryable<Service> Order(IQueryable<Service> services, CatalogQuery query) => (query.SortBy, query.Descending) switch
    {
        (CatalogSort.Team, false) => services.OrderBy(s => s.Team.Name).ThenBy(s => s.Name),
        (CatalogSort.Team, true) => services.OrderByDescending(s => s.Team.Name).ThenBy(s => s.Name),
        (CatalogSort.UpdatedAt, false) => services.OrderBy(s => s.UpdatedAt).ThenBy(s => s.Id),
        (CatalogSort.UpdatedAt, true) => services.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id),
        (_, true) => services.OrderByDescending(s => s.Name).ThenBy(s => s.Team.Name),
        _ => services.OrderBy(s => s.Name).ThenBy(s => s.Team.Name),
    };

    private static int PageSize(CatalogQuery query) => Math.Clamp(query.PageSize, 1, MaxPageSize);

    private static void Apply(ServiceForm form, Service service, DateTimeOffset now)
    {
        service.Kind = form.Kind;
        service.ContainerPort = form.Kind == ServiceKind.Worker ? 0 : form.ContainerPort;
        service.Description = form.Description?.Trim() ?? "";
        service.RepositoryUrl = Blank(form.RepositoryUrl);
        service.RunbookUrl = Blank(form.RunbookUrl);
        service.Contacts = form.Contacts?.Trim() ?? "";
        service.UpdatedAt = now;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

}
