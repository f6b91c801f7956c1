using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Releases;

/// <summary>A window as listed: stored ones can be removed, configured ones only changed in configuration.</summary>
public sealed record FreezeWindowView(FreezeWindow Window, string Environment, bool Configured, ActiveFreeze? ActiveNow);

/// <summary>The Admin's freeze windows: stored, added and removed with an audit entry each.</summary>
public sealed class FreezeSchedule(IDbContextFactory<PortalDbContext> dbFactory, IOptions<EnvironmentCatalog> environments, TimeProvider time)
{
    public async Task<IReadOnlyList<FreezeWindowView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.FreezeWindows.AsNoTracking().OrderBy(w => w.Id).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var configured = environments.Value.Environments.SelectMany(e => e.FreezeWindows.Select(w => (Environment: e.Name, Window: w, Configured: true)));
        return [.. configured.Concat(stored.Select(w => (w.Environment, Window: w, Configured: false)))
            .Select(x => new FreezeWindowView(x.Window, x.Environment, x.Configured, x.Window.EndIfActive(now) is { } until ? new ActiveFreeze(x.Environment, x.Window.Reason, until, x.Window.Id) : null))];
    }

    public async Task<Outcome<FreezeWindow>> AddAsync(ClaimsPrincipal user, FreezeWindow window)
    {
        if (!TeamAccess.IsAdmin(user))
        {
            return Outcome<FreezeWindow>.Forbidden("Only an Admin can set freeze windows.");
        }

        var errors = window.Errors();
        if (environments.Value.Find(window.Environment) is null)
        {
            errors[nameof(FreezeWindow.Environment)] = [$"There is no environment '{window.Environment}'. Configured: {string.Join(", ", environments.Value.Environments.Select(e => e.Name))}."];
        }

        if (errors.Count > 0)
        {
            return Outcome<FreezeWindow>.Invalid(errors);
        }

        var stored = new FreezeWindow
        {
            Environment = window.Environment,
            StartDay = window.StartDay,
            StartTime = window.StartTime,
            EndDay = window.EndDay,
            EndTime = window.EndTime,
            TimeZone = window.IsRecurring ? window.TimeZone.Trim() : "UTC",
            From = window.IsRecurring ? null : window.From?.ToUniversalTime(),
            To = window.IsRecurring ? null : window.To?.ToUniversalTime(),
            Reason = window.Reason.Trim(),
            CreatedBy = user.Identity?.Name ?? "",
            CreatedAt = time.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync();
        db.FreezeWindows.Add(stored);
        await db.SaveChangesAsync();
        AuditLog.Record(db, AuditSubject.FreezeWindow, $"{stored.Environment} #{stored.Id}", "Added", null, stored.CreatedBy, stored.CreatedAt, $"{stored.Describe()}: {stored.Reason}");
        await db.SaveChangesAsync();
        return Outcome<FreezeWindow>.Ok(stored);
    }

    public async Task<Outcome<bool>> RemoveAsync(ClaimsPrincipal user, int id)
    {
        if (!TeamAccess.IsAdmin(user))
        {
            return Outcome<bool>.Forbidden("Only an Admin can remove freeze windows.");
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var window = await db.FreezeWindows.SingleOrDefaultAsync(w => w.Id == id);
        if (window is null)
        {
            return Outcome<bool>.NotFound($"There is no stored freeze window #{id}.");
        }

        db.FreezeWindows.Remove(window);
        AuditLog.Record(db, AuditSubject.FreezeWindow, $"{window.Environment} #{window.Id}", "Removed", null, user.Identity?.Name ?? "", time.GetUtcNow(), $"{window.Describe()}: {window.Reason}");
        await db.SaveChangesAsync();
        return Outcome<bool>.Ok(true);
    }
}
