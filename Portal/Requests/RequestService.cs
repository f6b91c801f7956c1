using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Catalog;
using Portal.Cluster;
using Portal.Data;
using Portal.Identity;

namespace Portal.Requests;

/// <summary>What the request form needs: the service, its environment, the current revision and the form pre-filled from it.</summary>
/// <param name="LastApplied">The spec most recently applied in the environment (it may have failed): what runs there now; null: read when the review needs it.</param>
public sealed record RequestDraft(Service Service, DeploymentEnvironment Environment, CurrentRevision? Current, RequestForm Form, IReadOnlyDictionary<string, int> SecretSizes, RequestSpec? LastApplied = null);

/// <param name="ImageWarning">Why the tag is not pinned to a digest (no registry for the repository, registry down), or null.</param>
/// <param name="Cluster">The cluster's dry-run diff and capacity check; null only where nothing asked the cluster.</param>
/// <param name="PromotionWarning">That the image never succeeded in the previous environment, or null.</param>
public sealed record ReviewedRequest(RequestSpec Spec, IReadOnlyList<SecretChange> SecretChanges, Review Review, string? ImageWarning = null, ClusterFindings? Cluster = null, string? PromotionWarning = null);

/// <summary>Turns a filled-in form into a stored, immutable deployment request, routed by the environment's approval policy.</summary>
public sealed class RequestService(
    IDbContextFactory<PortalDbContext> dbFactory,
    TeamAccess access,
    SecretVault vault,
    RequestNotifier notifier,
    ImagePinning pinning,
    LiveReview liveReview,
    IOptions<EnvironmentCatalog> environments,
    TimeProvider time,
    ILogger<RequestService> logger,
    Releases.FreezeCalendar freezes,
    Releases.Promotions promotions)
{
    // Both read by every submit.
    private static readonly PerEngine<Func<PortalDbContext, string, string, Task<Service?>>> ServiceByName = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, string team, string name) => db.Services.Include(s => s.Team).AsNoTracking().SingleOrDefault(s => s.Team.Name == team && s.Name == name)));

    private static readonly PerEngine<Func<PortalDbContext, int, string, Task<int?>>> CurrentRevisionNumber = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, int serviceId, string environment) =>
            db.DeploymentRequests.Where(r => r.ServiceId == serviceId && r.Environment == environment && r.Revision != null).Max(r => r.Revision)));

    public async Task<Outcome<RequestDraft>> DraftAsync(ClaimsPrincipal user, string team, string serviceName, string environmentName)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var service = await ServiceByName.For(db)(db, team, serviceName);
        if (service is null)
        {
            return Outcome<RequestDraft>.NotFound($"There is no service {team}/{serviceName}.");
        }

        var environment = environments.Value.Find(environmentName);
        if (environment is null)
        {
            return Outcome<RequestDraft>.NotFound($"There is no environment '{environmentName}'. Configured: {string.Join(", ", environments.Value.Environments.Select(e => e.Name))}.");
        }

        if (!await access.CanChangeAsync(user, service.TeamId))
        {
            return Outcome<RequestDraft>.Forbidden($"Only members of {service.Team.Name} can request deployments of {service.Name}.");
        }

        if (service.IsArchived)
        {
            return Outcome<RequestDraft>.Conflict($"{service.Name} is archived: restore it before deploying it.");
        }

        var current = await RequestQueries.CurrentRevisionAsync(db, service.Id, environment.Name);
        var valueIds = current?.Spec.Secrets.Select(s => s.ValueId).ToList() ?? [];
        var secretRows = valueIds.Count == 0 ? [] : await db.SecretValues.AsNoTracking().Where(v => valueIds.Contains(v.Id)).ToListAsync();
        var info = secretRows.ToDictionary(v => v.Id, v => new SecretValueInfo(v.Key, v.SetBy, v.SetAt));
        var form = current is null ? RequestForm.FirstDeploy(service.ContainerPort, environment.MaxReplicas, service.Kind) : RequestForm.From(current.Spec, info);
        // The kind is the service's: a web service registered as a worker since its last revision deploys as a worker now.
        form.Kind = service.Kind;
        // The last applied spec is read by the review only when it needs it (volumes, or a form that changes nothing):
        // the query walks every request of the service in the environment.
        return Outcome<RequestDraft>.Ok(new RequestDraft(service, environment, current, form, secretRows.ToDictionary(v => v.Key, v => v.Size)));
    }

    /// <summary>
    /// Validates the form, resolves its tag to a digest and shows what it would change, without storing anything (the
    /// review step). A tag the registry does not have is an error on <see cref="RequestForm.ImageTag"/>.
    /// </summary>
    /// <param name="maxAge">How old a cached tag resolution may be; submit passes <see cref="TimeSpan.Zero"/> to ask the registry now.</param>
    public async Task<Outcome<ReviewedRequest>> ReviewAsync(RequestDraft draft, RequestForm form, TimeSpan? maxAge = null, CancellationToken cancellationToken = default)
    {
        // The kind is the service's setting: a re-submitted or promoted form cannot carry another one.
        form.Kind = draft.Service.Kind;
        // A volume's size may only grow: compared with the last applied spec too, read only when volumes are involved.
        var claimedBefore = form.Volumes.Count > 0 ? await LastAppliedAsync(draft, cancellationToken) : null;
        var errors = RequestValidator.Validate(form, draft.Environment, draft.SecretSizes, VolumeRules.Claimed(draft.Current?.Spec, claimedBefore));
        if (errors.Count > 0)
        {
            return Outcome<ReviewedRequest>.Invalid(errors);
        }

        if (form.IngressEnabled && await IngressTakenByAsync(draft, form.IngressHost.Trim(), form.IngressPath.Trim(), cancellationToken) is { } owner)
        {
            return Outcome<ReviewedRequest>.Invalid(nameof(RequestForm.IngressHost),
                $"{form.IngressHost.Trim()}{form.IngressPath.Trim()} is already the address of {owner} in {draft.Environment.Name}: pick another host or path.");
        }

        var pin = await pinning.PinAsync(draft.Service.ImageRepository, form.ImageTag.Trim(), form.ImageDigest, draft.Environment, maxAge, cancellationToken);
        if (!pin.Succeeded)
        {
            return new Outcome<ReviewedRequest>(pin.Kind, null, pin.Message, pin.FieldErrors);
        }

        var promotion = await promotions.CheckAsync(draft.Service.Id, draft.Environment, pin.Value!.Digest, form.ImageTag.Trim(), cancellationToken);
        if (promotion is { Refused: true })
        {
            return Outcome<ReviewedRequest>.Invalid(nameof(RequestForm.ImageTag), promotion.Message);
        }

        var changes = SecretChanges(form, draft.Current?.Spec);
        // Placeholder ids for new values: the review compares keys, and the stored spec gets the real ids at submit.
        var spec = BuildSpec(draft, form, pin.Value!.Digest, key => -1);
        var review = SpecReview.Compare(draft.Current?.Spec, spec, changes, draft.Environment, time.GetUtcNow());
        var cluster = await liveReview.ForDraftAsync(draft, form, spec, cancellationToken);
        if (SpecReview.Refusal(cluster, form.Autoscaling, [.. form.Volumes.Select(v => v.Name)]) is { } refusal)
        {
            return new Outcome<ReviewedRequest>(OutcomeKind.Invalid, null, refusal.Title, refusal.Errors);
        }

        // After a failed rollout the cluster runs the failed spec, and a change made outside the portal is undone by
        // this apply: going back to the current revision is a change then.
        var clusterChanges = cluster.Diff.Status == LiveDiffStatus.Compared && !cluster.Diff.ChangesNothing;
        if (review.ChangesNothing && draft.Current is not null && !clusterChanges && await LastAppliedAsync(draft, cancellationToken) is var lastApplied
            && (lastApplied is null || lastApplied.Equivalent(spec)))
        {
            return Outcome<ReviewedRequest>.Invalid("", $"Nothing changes compared to revision {draft.Current.Revision}.");
        }

        return Outcome<ReviewedRequest>.Ok(new ReviewedRequest(spec, changes, review, pin.Value.Warning, cluster, promotion?.Message));
    }

    private async Task<RequestSpec?> LastAppliedAsync(RequestDraft draft, CancellationToken cancellationToken)
    {
        if (draft.LastApplied is not null)
        {
            return draft.LastApplied;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await RequestQueries.LastAppliedSpecAsync(db, draft.Service.Id, draft.Environment.Name);
    }

    /// <summary>
    /// Which other service of the environment has (in its current revision or an open request) an Ingress on the same host
    /// and path: two Ingresses for one address would fight over it. Another team's service is not named.
    /// </summary>
    private async Task<string?> IngressTakenByAsync(RequestDraft draft, string host, string path, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var environment = draft.Environment.Name;
        var others = db.DeploymentRequests.AsNoTracking().Where(r => r.Environment == environment && r.ServiceId != draft.Service.Id);
        var candidates = await others
            .Where(r => r.State == RequestState.Submitted || r.State == RequestState.AwaitingApproval || r.State == RequestState.Approved
                || r.State == RequestState.Applying || r.State == RequestState.RollingOut
                || (r.Revision != null && r.Revision == db.DeploymentRequests.Where(o => o.ServiceId == r.ServiceId && o.Environment == environment).Max(o => o.Revision)))
            .Select(r => new { r.Spec, Team = r.Service.Team.Name, r.Service.TeamId, Service = r.Service.Name })
            .ToListAsync(cancellationToken);
        var taken = candidates.FirstOrDefault(c => c.Spec.Ingress is { } ingress
            && string.Equals(ingress.Host, host, StringComparison.OrdinalIgnoreCase) && ingress.Path == path);
        if (taken is null)
        {
            return null;
        }

        return taken.TeamId == draft.Service.TeamId ? $"{taken.Team}/{taken.Service}" : "another team's service";
    }

    /// <summary>
    /// Validates and stores the request; its tag is resolved to a digest now (not from a cache), and both are stored, so
    /// the approved image is the deployed image. The form and the API both submit here.
    /// </summary>
    /// <param name="draftJustRead">
    /// The draft was read in this same call (the API): its service, which <see cref="DraftAsync"/> has just checked, is
    /// used as it is instead of read again. A form's draft may be old: its service is read and checked again.
    /// </param>
    public async Task<Outcome<DeploymentRequest>> SubmitAsync(ClaimsPrincipal user, RequestDraft draft, RequestForm form, CancellationToken cancellationToken = default, bool draftJustRead = false)
    {
        var reviewed = await ReviewAsync(draft, form, TimeSpan.Zero, cancellationToken);
        if (!reviewed.Succeeded)
        {
            return new Outcome<DeploymentRequest>(reviewed.Kind, null, reviewed.Message, reviewed.FieldErrors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // As the engine stores it: the request returned now is the request a later read gives.
        var now = db.AsStored(time.GetUtcNow());
        var breakGlass = string.IsNullOrWhiteSpace(form.BreakGlassReason) ? null : form.BreakGlassReason.Trim();
        if (breakGlass is not null && FreeText.Validate(breakGlass, "The break-glass reason") is { } badReason)
        {
            return Outcome<DeploymentRequest>.Invalid(nameof(RequestForm.BreakGlassReason), badReason);
        }

        var freeze = await freezes.ActiveAsync(draft.Environment, now, cancellationToken);
        if (freeze is null)
        {
            breakGlass = null;
        }
        else if (breakGlass is not null && !user.IsInRole(Roles.Admin))
        {
            return Outcome<DeploymentRequest>.Forbidden($"Only an Admin can break the glass. {freeze.Describe()}.");
        }

        var basis = await BasisAsync(db, user, draft.Service.Id, draft.Environment, "request deployments of", new ApprovalQuestion(draft.Environment, ApprovalAsk.Deploy, now, Freeze: freeze, BreakGlassReason: breakGlass), freezeRead: true,
            known: draftJustRead ? draft.Service : null);
        if (!basis.Succeeded)
        {
            return Fail(basis);
        }

        var (service, current, approval) = basis.Value!;
        if (current != draft.Current?.Revision)
        {
            return Outcome<DeploymentRequest>.Conflict($"Revision {current} was deployed while you were editing: reload the form to start from it.");
        }

        var actor = user.Identity?.Name ?? "";
        using var turn = await SqliteWriteGate.EnterAsync(db, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // A failed save abandons the whole transaction: no savepoint around each save (two statements more each).
        db.Database.AutoSavepointsEnabled = false;
        var newValues = new Dictionary<string, SecretValue>(StringComparer.Ordinal);
        foreach (var row in form.Secrets.Where(r => !r.Remove && r.NewValue is { Length: > 0 }))
        {
            var value = new SecretValue
            {
                ServiceId = service.Id,
                Environment = draft.Environment.Name,
                Key = row.Key,
                Ciphertext = vault.Encrypt(row.NewValue!),
                Size = Encoding.UTF8.GetByteCount(row.NewValue!),
                SetBy = actor,
                SetAt = now,
            };
            db.SecretValues.Add(value);
            newValues[row.Key] = value;
        }

        if (newValues.Count > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
        }

        var spec = BuildSpec(draft, form, reviewed.Value!.Spec.ImageDigest, key => newValues[key].Id);
        var request = NewRequest(user, service, draft.Environment, spec, current, form.Comment?.Trim() ?? "", reviewed.Value.SecretChanges, now);
        request.BreakGlassReason = breakGlass;
        request.PromotedFromRequestId = form.PromotedFromRequestId is { } from && await promotions.IsSourceAsync(from, service.Id, draft.Environment, spec, cancellationToken) ? from : null;
        await StoreAsync(db, request, approval, now, cancellationToken);
        if (breakGlass is not null)
        {
            db.AuditEvents.Add(new AuditEvent
            {
                Kind = AuditSubject.Request, Subject = $"#{request.Id}", Action = "BreakGlass", TeamId = service.TeamId, RequestId = request.Id, ServiceId = service.Id,
                Actor = actor, At = now, Comment = $"{breakGlass} (during: {freeze!.Describe()})",
            });
            Notifications.Notifications.Enqueue(db, new Notifications.NotificationEvent
            {
                Kind = Notifications.NotificationKind.BreakGlass, TeamId = service.TeamId, ServiceId = service.Id, RequestId = request.Id,
                Environment = draft.Environment.Name, Actor = actor, Comment = breakGlass, At = now,
            });
            await db.SaveChangesAsync(cancellationToken);
            logger.LogWarning("Break-glass: request {RequestId} submitted by {User} during a freeze of {Environment}", request.Id, actor, draft.Environment.Name);
        }

        await transaction.CommitAsync(cancellationToken);
        // The next submit may write now; this one only tells.
        turn.Dispose();
        logger.LogInformation("Request {RequestId} submitted by {User} for {Team}/{Service} in {Environment}: {State}", request.Id, actor, service.Team.Name, service.Name, draft.Environment.Name, request.State);
        await notifier.NotifyAsync(request.Id);
        return Outcome<DeploymentRequest>.Ok(request);
    }

    /// <summary>
    /// A new request that copies revision <paramref name="revision"/> whole, secret values included (the same encrypted
    /// values). <paramref name="user"/> is null for an automatic rollback, which the policy approves at once.
    /// </summary>
    public async Task<Outcome<DeploymentRequest>> RollbackAsync(ClaimsPrincipal? user, int serviceId, string environmentName, int revision, string? comment)
    {
        if (RequestLifecycle.CommentError(comment) is { } tooLong)
        {
            return tooLong;
        }

        var environment = environments.Value.Find(environmentName);
        if (environment is null)
        {
            return Outcome<DeploymentRequest>.NotFound("There is no such service or environment.");
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var now = time.GetUtcNow();
        var ask = user is null ? ApprovalAsk.AutomaticRollback : ApprovalAsk.Rollback;
        var basis = await BasisAsync(db, user, serviceId, environment, "roll back", new ApprovalQuestion(environment, ask, now, revision));
        if (!basis.Succeeded)
        {
            return Fail(basis);
        }

        var (service, current, approval) = basis.Value!;
        var target = await db.DeploymentRequests.AsNoTracking().SingleOrDefaultAsync(r => r.ServiceId == serviceId && r.Environment == environmentName && r.Revision == revision);
        if (target is null)
        {
            return Outcome<DeploymentRequest>.NotFound($"{service.Name} has no revision {revision} in {environmentName}.");
        }

        var lastApplied = await RequestQueries.LastAppliedSpecAsync(db, serviceId, environmentName);
        if (lastApplied is not null && lastApplied.Equivalent(target.Spec))
        {
            return Outcome<DeploymentRequest>.Conflict($"Revision {revision} is what runs in {environmentName} now.");
        }

        var before = lastApplied?.Secrets.ToDictionary(s => s.Key, s => s.ValueId) ?? [];
        var after = target.Spec.Secrets.ToDictionary(s => s.Key, s => s.ValueId);
        List<SecretChange> secretChanges =
        [
            .. after.Where(a => !before.ContainsKey(a.Key)).Select(a => new SecretChange(a.Key, SecretChangeKind.Added)),
            .. after.Where(a => before.TryGetValue(a.Key, out var id) && id != a.Value).Select(a => new SecretChange(a.Key, SecretChangeKind.Replaced)),
            .. before.Keys.Where(k => !after.ContainsKey(k)).Select(k => new SecretChange(k, SecretChangeKind.Removed)),
        ];
        var request = NewRequest(user, service, environment, target.Spec, current, string.IsNullOrWhiteSpace(comment) ? $"Roll back to revision {revision}." : comment.Trim(), secretChanges, now);
        request.RollbackOfRevision = revision;
        using (await SqliteWriteGate.EnterAsync(db))
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await StoreAsync(db, request, approval, now);
            await transaction.CommitAsync();
        }

        logger.LogInformation("Rollback request {RequestId} to revision {Revision} of {Service} in {Environment} by {User}", request.Id, revision, service.Name, environmentName, request.RequestedBy);
        await notifier.NotifyAsync(request.Id);
        return Outcome<DeploymentRequest>.Ok(request);
    }

    /// <summary>
    /// What every new request is made on, checked the same way for a submit and a rollback: the service exists, the
    /// user may change it (an automatic rollback has no user), it is not archived, and the policy does not refuse.
    /// </summary>
    /// <param name="known">The service with its team, read moments ago in the same call: attached instead of read again.</param>
    /// <returns>The service (tracked), the number of the environment's current revision (null: none yet) and the policy's answer.</returns>
    private async Task<Outcome<(Service Service, int? Current, ApprovalAnswer Approval)>> BasisAsync(
        PortalDbContext db, ClaimsPrincipal? user, int serviceId, DeploymentEnvironment environment, string verb, ApprovalQuestion question, bool freezeRead = false, Service? known = null)
    {
        var service = known ?? await db.Services.Include(s => s.Team).SingleOrDefaultAsync(s => s.Id == serviceId);
        if (known is not null)
        {
            db.Services.Attach(known);
        }

        if (service is null)
        {
            return Outcome<(Service, int?, ApprovalAnswer)>.NotFound("There is no such service or environment.");
        }

        if (user is not null && !await access.CanChangeAsync(user, service.TeamId))
        {
            return Outcome<(Service, int?, ApprovalAnswer)>.Forbidden($"Only members of {service.Team.Name} can {verb} {service.Name}.");
        }

        if (service.IsArchived)
        {
            return Outcome<(Service, int?, ApprovalAnswer)>.Conflict($"{service.Name} is archived: restore it before deploying it.");
        }

        var approval = ApprovalPolicy.Decide(question.Freeze is null && !freezeRead ? question with { Freeze = await freezes.ActiveAsync(environment, question.At) } : question);
        if (approval.Route == ApprovalRoute.Refused)
        {
            return Outcome<(Service, int?, ApprovalAnswer)>.Conflict(approval.Reason);
        }

        // Only the number: the spec is not needed to build on it.
        var current = await CurrentRevisionNumber.For(db)(db, service.Id, environment.Name);
        return Outcome<(Service, int?, ApprovalAnswer)>.Ok((service, current, approval));
    }

    /// <summary>The one factory of new requests: submitted by <paramref name="user"/> (the policy when null) on the current revision.</summary>
    private static DeploymentRequest NewRequest(ClaimsPrincipal? user, Service service, DeploymentEnvironment environment, RequestSpec spec, int? currentRevision, string comment, IEnumerable<SecretChange> secretChanges, DateTimeOffset now)
    {
        var request = new DeploymentRequest
        {
            ServiceId = service.Id,
            Environment = environment.Name,
            State = RequestState.Submitted,
            Spec = spec,
            SpecHash = spec.Hash(),
            ImageTag = spec.ImageTag,
            BaseRevision = currentRevision,
            RequestedById = (user is null ? null : TeamAccess.UserId(user)) ?? "",
            RequestedBy = user?.Identity?.Name ?? RequestLifecycle.PolicyActor,
            CreatedAt = now,
            UpdatedAt = now,
            Comment = comment,
            SecretChanges = [.. secretChanges],
        };
        request.Service = service;
        return request;
    }

    /// <summary>Stores a new request with its Submitted audit event and routes it as the policy answered; the caller holds the transaction.</summary>
    private static async Task StoreAsync(PortalDbContext db, DeploymentRequest request, ApprovalAnswer approval, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        db.DeploymentRequests.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        db.AuditEvents.Add(new AuditEvent { Subject = $"#{request.Id}", Action = nameof(RequestState.Submitted), TeamId = request.Service.TeamId, RequestId = request.Id, ServiceId = request.ServiceId, Actor = request.RequestedBy, At = now, To = RequestState.Submitted, Comment = request.Comment });
        if (approval.Route == ApprovalRoute.ApproveNow)
        {
            request.Decisions.Add(new RequestDecision { Kind = DecisionKind.Approved, DecidedBy = RequestLifecycle.PolicyActor, DecidedAt = now, SpecHash = request.SpecHash, BaseRevision = request.BaseRevision, Comment = approval.Reason });
            RequestLifecycle.Move(db, request, RequestState.Approved, RequestLifecycle.PolicyActor, approval.Reason, now);
        }
        else
        {
            RequestLifecycle.Move(db, request, RequestState.AwaitingApproval, RequestLifecycle.PolicyActor, approval.Reason, now);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private static Outcome<DeploymentRequest> Fail<T>(Outcome<T> outcome) => new(outcome.Kind, null, outcome.Message, outcome.FieldErrors);

    private static List<SecretChange> SecretChanges(RequestForm form, RequestSpec? current)
    {
        var existing = current?.Secrets.Select(s => s.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        var changes = new List<SecretChange>();
        foreach (var row in form.Secrets)
        {
            if (row.Remove && existing.Contains(row.Key))
            {
                changes.Add(new SecretChange(row.Key, SecretChangeKind.Removed));
            }
            else if (!row.Remove && row.NewValue is { Length: > 0 })
            {
                changes.Add(new SecretChange(row.Key, existing.Contains(row.Key) ? SecretChangeKind.Replaced : SecretChangeKind.Added));
            }
        }

        var listed = form.Secrets.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        changes.AddRange(existing.Where(key => !listed.Contains(key)).Select(key => new SecretChange(key, SecretChangeKind.Removed)));
        return changes;
    }

    private static RequestSpec BuildSpec(RequestDraft draft, RequestForm form, string? imageDigest, Func<string, int> newValueId) =>
        form.ToSpec(draft.Service.ImageRepository, imageDigest, draft.Current?.Spec.Secrets.ToDictionary(s => s.Key, s => s.ValueId, StringComparer.Ordinal) ?? [], newValueId);
}
