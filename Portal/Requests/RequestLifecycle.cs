using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Identity;

namespace Portal.Requests;

/// <summary>
/// The one owner of request state changes. Each transition is one transaction with its audit event; the request's
/// <see cref="DeploymentRequest.Version"/> is a concurrency token, so of two approvers (or workers) acting at once only
/// one succeeds and the other gets "already decided".
/// </summary>
public sealed class RequestLifecycle(
    IDbContextFactory<PortalDbContext> dbFactory,
    TeamAccess access,
    RequestNotifier notifier,
    IOptions<RequestsOptions> options,
    IOptions<Cluster.EnvironmentCatalog> environments,
    TimeProvider time,
    ILogger<RequestLifecycle> logger,
    Releases.FreezeCalendar freezes)
{
    public const string PolicyActor = "policy";

    private static readonly Dictionary<RequestState, RequestState[]> Allowed = new()
    {
        [RequestState.Submitted] = [RequestState.AwaitingApproval, RequestState.Approved, RequestState.Cancelled],
        [RequestState.AwaitingApproval] = [RequestState.Approved, RequestState.Rejected, RequestState.Cancelled, RequestState.Superseded, RequestState.Expired],
        [RequestState.Approved] = [RequestState.Applying, RequestState.Cancelled, RequestState.Superseded],
        [RequestState.Applying] = [RequestState.RollingOut, RequestState.Failed],
        [RequestState.RollingOut] = [RequestState.Succeeded, RequestState.Failed],
        [RequestState.Failed] = [RequestState.RolledBack],
    };

    public static bool CanMove(RequestState from, RequestState to) => Allowed.TryGetValue(from, out var targets) && targets.Contains(to);

    /// <summary>Moves a tracked request and records the audit event; the caller saves both in one SaveChanges.</summary>
    internal static void Move(PortalDbContext db, DeploymentRequest request, RequestState to, string actor, string? comment, DateTimeOffset now)
    {
        if (!CanMove(request.State, to))
        {
            throw new InvalidOperationException($"Request {request.Id} cannot move from {request.State} to {to}.");
        }

        db.AuditEvents.Add(new AuditEvent
        {
            Subject = request.Id == 0 ? "" : $"#{request.Id}",
            Action = to.ToString(),
            TeamId = request.Service?.TeamId,
            RequestId = request.Id == 0 ? null : request.Id,
            ServiceId = request.ServiceId,
            Actor = actor,
            At = now,
            From = request.State,
            To = to,
            Comment = comment ?? "",
        });
        Notifications.Notifications.EnqueueTransition(db, request, to, actor, comment, now);
        Metrics.DeliveryTimes.Record(request, to, now);
        request.State = to;
        request.UpdatedAt = now;
        request.Version++;
    }

    /// <param name="breakGlassReason">An Admin approving during a freeze: why (recorded on the request, audited, notified).</param>
    public async Task<Outcome<DeploymentRequest>> ApproveAsync(ClaimsPrincipal user, int requestId, string? comment, string? breakGlassReason = null)
    {
        if (CommentError(comment) is { } tooLong)
        {
            return tooLong;
        }

        var breakGlass = string.IsNullOrWhiteSpace(breakGlassReason) ? null : breakGlassReason.Trim();
        if (breakGlass is not null && FreeText.Validate(breakGlass, "The break-glass reason") is { } badReason)
        {
            return Outcome<DeploymentRequest>.Invalid(nameof(RequestForm.BreakGlassReason), badReason);
        }

        return await DecideAsync(user, requestId, DecisionKind.Approved, comment, breakGlass);
    }

    public async Task<Outcome<DeploymentRequest>> RejectAsync(ClaimsPrincipal user, int requestId, string? comment)
    {
        if (CommentError(comment) is { } tooLong)
        {
            return tooLong;
        }

        if (string.IsNullOrWhiteSpace(comment))
        {
            return Outcome<DeploymentRequest>.Invalid("Comment", "Say why you reject the request: the requester will read it.");
        }

        return await DecideAsync(user, requestId, DecisionKind.Rejected, comment);
    }

    public async Task<Outcome<DeploymentRequest>> CancelAsync(ClaimsPrincipal user, int requestId, string? comment)
    {
        if (CommentError(comment) is { } tooLong)
        {
            return tooLong;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var request = await db.DeploymentRequests.Include(r => r.Service).ThenInclude(s => s.Team).SingleOrDefaultAsync(r => r.Id == requestId);
        if (request is null || !await access.CanSeeAsync(user, request.Service.TeamId))
        {
            return Outcome<DeploymentRequest>.NotFound($"There is no request #{requestId}.");
        }

        if (request.RequestedById != TeamAccess.UserId(user))
        {
            return Outcome<DeploymentRequest>.Forbidden("Only the requester can cancel a request.");
        }

        if (!CanMove(request.State, RequestState.Cancelled))
        {
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} is {Describe(request.State)}: it can no longer be cancelled.");
        }

        Move(db, request, RequestState.Cancelled, user.Identity?.Name ?? "", comment, time.GetUtcNow());
        return await SaveAsync(db, request, "cancelled");
    }

    /// <summary>Marks requests that waited longer than the approval timeout as Expired; returns how many.</summary>
    public async Task<int> ExpireOverdueAsync(CancellationToken cancellationToken = default)
    {
        var deadline = time.GetUtcNow() - options.Value.ApprovalTimeout;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var overdue = await db.DeploymentRequests.Where(r => r.State == RequestState.AwaitingApproval && r.CreatedAt < deadline).ToListAsync(cancellationToken);
        foreach (var request in overdue)
        {
            Move(db, request, RequestState.Expired, PolicyActor, $"No decision within {options.Value.ApprovalTimeout.TotalHours:0.#} h.", time.GetUtcNow());
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone decided one of them meanwhile; the next sweep looks again.
            return 0;
        }

        foreach (var request in overdue)
        {
            await notifier.NotifyAsync(request.Id);
        }

        return overdue.Count;
    }

    /// <summary>
    /// The apply worker takes an approved request. Every other open request of the same service and environment was made
    /// on a state this apply replaces, so it is superseded in the same transaction.
    /// </summary>
    public async Task<Outcome<DeploymentRequest>> StartApplyingAsync(int requestId, string actor)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var request = await db.DeploymentRequests.Include(r => r.Decisions).SingleOrDefaultAsync(r => r.Id == requestId);
        if (request is null)
        {
            return Outcome<DeploymentRequest>.NotFound($"There is no request #{requestId}.");
        }

        if (request.State != RequestState.Approved)
        {
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} is {Describe(request.State)}, not approved.");
        }

        var now = time.GetUtcNow();
        var environment = environments.Value.Find(request.Environment);
        var approval = environment is null
            ? ApprovalAnswer.Refused($"Request #{requestId} names environment '{request.Environment}', which is no longer configured.")
            : ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Apply, now, Request: request, Freeze: await freezes.ActiveAsync(environment, now)));
        if (approval.Route != ApprovalRoute.ApproveNow)
        {
            Move(db, request, RequestState.Applying, actor, null, now);
            Move(db, request, RequestState.Failed, actor, approval.Reason, now);
            await SaveAsync(db, request, "refused at apply time");
            return Outcome<DeploymentRequest>.Conflict(approval.Reason);
        }

        var current = await RequestQueries.CurrentRevisionAsync(db, request.ServiceId, request.Environment);
        if (current?.Revision != request.BaseRevision)
        {
            Move(db, request, RequestState.Superseded, actor, SupersededReason(current?.Revision, current?.Id), now);
            await SaveAsync(db, request, "superseded");
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} was made on revision {request.BaseRevision?.ToString() ?? "none"}, but revision {current?.Revision} is current now.");
        }

        Move(db, request, RequestState.Applying, actor, null, now);
        var others = await db.DeploymentRequests
            .Where(r => r.Id != request.Id && r.ServiceId == request.ServiceId && r.Environment == request.Environment)
            .Where(r => r.State == RequestState.Submitted || r.State == RequestState.AwaitingApproval || r.State == RequestState.Approved)
            .ToListAsync();
        foreach (var other in others)
        {
            Move(db, other, RequestState.Superseded, actor, $"Request #{request.Id} was applied first.", now);
        }

        var outcome = await SaveAsync(db, request, "applying");
        foreach (var other in others)
        {
            await notifier.NotifyAsync(other.Id);
        }

        return outcome;
    }

    public async Task<Outcome<DeploymentRequest>> MarkRollingOutAsync(int requestId, string actor) =>
        await MoveAsync(requestId, RequestState.RollingOut, actor, null);

    /// <summary>The rollout finished: the request becomes the environment's newest revision.</summary>
    public async Task<Outcome<DeploymentRequest>> MarkSucceededAsync(int requestId, string actor)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var request = await db.DeploymentRequests.SingleOrDefaultAsync(r => r.Id == requestId);
        if (request is null || !CanMove(request.State, RequestState.Succeeded))
        {
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} cannot succeed from {request?.State}.");
        }

        var latest = await db.DeploymentRequests
            .Where(r => r.ServiceId == request.ServiceId && r.Environment == request.Environment && r.Revision != null)
            .MaxAsync(r => r.Revision) ?? 0;
        request.Revision = latest + 1;
        Move(db, request, RequestState.Succeeded, actor, $"Revision {request.Revision}.", time.GetUtcNow());
        return await SaveAsync(db, request, "succeeded");
    }

    public async Task<Outcome<DeploymentRequest>> MarkFailedAsync(int requestId, string actor, string reason) =>
        await MoveAsync(requestId, RequestState.Failed, actor, reason);

    public async Task<Outcome<DeploymentRequest>> MarkRolledBackAsync(int requestId, string actor, string reason) =>
        await MoveAsync(requestId, RequestState.RolledBack, actor, reason);

    private async Task<Outcome<DeploymentRequest>> MoveAsync(int requestId, RequestState to, string actor, string? comment)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var request = await db.DeploymentRequests.SingleOrDefaultAsync(r => r.Id == requestId);
        if (request is null || !CanMove(request.State, to))
        {
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} cannot move to {to} from {request?.State}.");
        }

        Move(db, request, to, actor, comment, time.GetUtcNow());
        return await SaveAsync(db, request, to.ToString());
    }

    private async Task<Outcome<DeploymentRequest>> DecideAsync(ClaimsPrincipal user, int requestId, DecisionKind kind, string? comment, string? breakGlass = null)
    {
        var verb = kind == DecisionKind.Approved ? "approve" : "reject";
        await using var db = await dbFactory.CreateDbContextAsync();
        var request = await db.DeploymentRequests.Include(r => r.Service).ThenInclude(s => s.Team).SingleOrDefaultAsync(r => r.Id == requestId);
        if (request is null || !await access.CanSeeAsync(user, request.Service.TeamId))
        {
            return Outcome<DeploymentRequest>.NotFound($"There is no request #{requestId}.");
        }

        if (!await access.CanApproveAsync(user, request.Service.TeamId))
        {
            return Outcome<DeploymentRequest>.Forbidden($"Only Approvers of {request.Service.Team.Name} (or an Admin) can {verb} its requests.");
        }

        if (request.RequestedById == TeamAccess.UserId(user))
        {
            return Outcome<DeploymentRequest>.Forbidden($"You cannot {verb} your own request: another Approver must decide.");
        }

        if (request.State != RequestState.AwaitingApproval)
        {
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} is already {Describe(request.State)}.");
        }

        var now = time.GetUtcNow();
        if (request.CreatedAt + options.Value.ApprovalTimeout < now)
        {
            Move(db, request, RequestState.Expired, PolicyActor, $"No decision within {options.Value.ApprovalTimeout.TotalHours:0.#} h.", now);
            await SaveAsync(db, request, "expired");
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} has expired: it waited more than {options.Value.ApprovalTimeout.TotalHours:0.#} h. Submit it again.");
        }

        var current = await RequestQueries.CurrentRevisionAsync(db, request.ServiceId, request.Environment);
        if (kind == DecisionKind.Approved && current?.Revision != request.BaseRevision)
        {
            Move(db, request, RequestState.Superseded, PolicyActor, SupersededReason(current?.Revision, current?.Id), now);
            await SaveAsync(db, request, "superseded");
            return Outcome<DeploymentRequest>.Conflict($"Request #{requestId} was made on revision {request.BaseRevision?.ToString() ?? "none"}, but revision {current?.Revision} has been deployed since: it is superseded. Re-submit it on top of the current revision.");
        }

        if (kind == DecisionKind.Approved && environments.Value.Find(request.Environment) is { } environment)
        {
            var freeze = await freezes.ActiveAsync(environment, now);
            if (freeze is null)
            {
                breakGlass = null;
            }
            else if (breakGlass is not null && !user.IsInRole(Roles.Admin))
            {
                return Outcome<DeploymentRequest>.Forbidden($"Only an Admin can break the glass. {freeze.Describe()}.");
            }

            var answer = ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Approve, now, Request: request, Freeze: freeze, BreakGlassReason: breakGlass));
            if (answer.Route == ApprovalRoute.Refused)
            {
                return Outcome<DeploymentRequest>.Conflict(answer.Reason);
            }

            if (breakGlass is not null && freeze is not null && request.BreakGlassReason is null)
            {
                BreakGlass(db, request, breakGlass, freeze, user.Identity?.Name ?? "", now);
            }
        }

        request.Decisions.Add(new RequestDecision
        {
            Kind = kind,
            DecidedById = TeamAccess.UserId(user),
            DecidedBy = user.Identity?.Name ?? "",
            Comment = comment?.Trim() ?? "",
            DecidedAt = now,
            SpecHash = request.SpecHash,
            BaseRevision = request.BaseRevision,
        });
        Move(db, request, kind == DecisionKind.Approved ? RequestState.Approved : RequestState.Rejected, user.Identity?.Name ?? "", comment, now);
        return await SaveAsync(db, request, kind == DecisionKind.Approved ? "approved" : "rejected");
    }

    /// <summary>
    /// An Admin approves during a freeze: the reason goes on the request (so that it is flagged in history and the apply
    /// worker lets it through), into the audit and out as a break-glass notification, in the approval's transaction.
    /// </summary>
    private void BreakGlass(PortalDbContext db, DeploymentRequest request, string reason, Releases.ActiveFreeze freeze, string actor, DateTimeOffset now)
    {
        request.BreakGlassReason = reason;
        db.AuditEvents.Add(new AuditEvent
        {
            Kind = AuditSubject.Request, Subject = $"#{request.Id}", Action = "BreakGlass", TeamId = request.Service.TeamId, RequestId = request.Id, ServiceId = request.ServiceId,
            Actor = actor, At = now, Comment = $"{reason} (approved during: {freeze.Describe()})",
        });
        Notifications.Notifications.Enqueue(db, new Notifications.NotificationEvent
        {
            Kind = Notifications.NotificationKind.BreakGlass, TeamId = request.Service.TeamId, ServiceId = request.ServiceId, RequestId = request.Id,
            Environment = request.Environment, Actor = actor, Comment = reason, At = now,
        });
        logger.LogWarning("Break-glass: request {RequestId} approved by {User} during a freeze of {Environment}", request.Id, actor, request.Environment);
    }

    private async Task<Outcome<DeploymentRequest>> SaveAsync(PortalDbContext db, DeploymentRequest request, string what)
    {
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<DeploymentRequest>.Conflict($"Request #{request.Id} was already decided by someone else a moment ago. Reload to see its state.");
        }

        logger.LogInformation("Request {RequestId} {What}", request.Id, what);
        await notifier.NotifyAsync(request.Id);
        return Outcome<DeploymentRequest>.Ok(request);
    }

    private static string SupersededReason(int? currentRevision, int? currentRequestId) =>
        $"Revision {currentRevision} (request #{currentRequestId}) was deployed after this request was made.";

    /// <summary>The free-text rule for every comment a person gives with a transition.</summary>
    internal static Outcome<DeploymentRequest>? CommentError(string? comment) =>
        FreeText.Validate(comment, "The comment") is { } error ? Outcome<DeploymentRequest>.Invalid(nameof(RequestForm.Comment), error) : null;

    public static string Describe(RequestState state) => state switch
    {
        RequestState.AwaitingApproval => "awaiting approval",
        RequestState.RollingOut => "rolling out",
        RequestState.RolledBack => "rolled back",
        _ => state.ToString().ToLowerInvariant(),
    };
}
