using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Portal.Data;
using Portal.Requests;

namespace Portal.Operations;

/// <summary>
/// Records submit → approval → healthy durations when a request's move to Approved or Succeeded is committed, whoever
/// made it (an approver, the environment's policy, the tracker), so no transition is counted that was rolled back.
/// </summary>
public sealed class RequestTransitionMetrics : SaveChangesInterceptor
{
    private readonly ConditionalWeakTable<DbContext, List<DeploymentRequest>> pending = [];

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
        {
            pending.AddOrUpdate(context, context.ChangeTracker.Entries<DeploymentRequest>()
                .Where(e => e.Entity.State is RequestState.Approved or RequestState.Succeeded)
                .Where(e => e.State == EntityState.Added || (e.State == EntityState.Modified && e.Property(r => r.State).IsModified))
                .Select(e => e.Entity)
                .ToList());
        }

        return base.SavingChangesAsync(eventData, result, cancellationToken);
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is PortalDbContext db && pending.TryGetValue(db, out var moved) && pending.Remove(db) && moved.Count > 0)
        {
            foreach (var request in moved)
            {
                if (request.State == RequestState.Approved)
                {
                    PortalMetrics.Approved(request.Environment, request.UpdatedAt - request.CreatedAt);
                }
                else
                {
                    var approvedAt = await db.RequestDecisions.Where(d => d.RequestId == request.Id && d.Kind == DecisionKind.Approved)
                        .Select(d => (DateTimeOffset?)d.DecidedAt).FirstOrDefaultAsync(cancellationToken) ?? request.CreatedAt;
                    PortalMetrics.Healthy(request.Environment, request.UpdatedAt - approvedAt, request.UpdatedAt - request.CreatedAt);
                }
            }
        }

        return await base.SavedChangesAsync(eventData, result, cancellationToken);
    }
}
