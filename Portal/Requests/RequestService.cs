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
public sealed record RequestDraft(Service Service, DeploymentEnvironment Environment, CurrentRevision? Current, RequestForm Form, IReadOnlyDictionary<string, int> SecretSizes);

public sealed record ReviewedRequest(RequestSpec Spec, IReadOnlyList<SecretChange> SecretChanges, Review Review);

/// <summary>Turns a filled-in form into a stored, immutable deployment request, routed by the environment's approval policy.</summary>
public sealed class RequestService(
    IDbContextFactory<PortalDbContext> dbFactory,
    TeamAccess access,
    SecretVault vault,
    RequestNotifier notifier,
    IOptions<EnvironmentCatalog> environments,
    TimeProvider time,
    ILogger<RequestService> logger)
{
    public async Task<Outcome<RequestDraft>> DraftAsync(ClaimsPrincipal user, string team, string serviceName, string environmentName)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var service = await db.Services.Include(s => s.Team).AsNoTracking().SingleOrDefaultAsync(s => s.Team.Name == team && s.Name == serviceName);
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
        var secretRows = await db.SecretValues.Where(v => valueIds.Contains(v.Id)).ToListAsync();
        var info = secretRows.ToDictionary(v => v.Id, v => new SecretValueInfo(v.Key, v.SetBy, v.SetAt));
        var form = current is null ? RequestForm.FirstDeploy(service.ContainerPort, environment.MaxReplicas) : RequestForm.From(current.Spec, info);
        return Outcome<RequestDraft>.Ok(new RequestDraft(service, environment, current, form, secretRows.ToDictionary(v => v.Key, v => v.Size)));
    }

    /// <summary>Validates the form and shows what it would change, without storing anything (the review step).</summary>
    public Outcome<ReviewedRequest> Review(RequestDraft draft, RequestForm form)
    {
        var errors = RequestValidator.Validate(form, draft.Environment, draft.SecretSizes);
        if (errors.Count > 0)
        {
            return Outcome<ReviewedRequest>.Invalid(errors);
        }

        var changes = SecretChanges(form, draft.Current?.Spec);
        // Placeholder ids for new values: the review compares keys, and the stored spec gets the real ids at submit.
        var spec = BuildSpec(draft, form, key => -1);
        var review = SpecReview.Compare(draft.Current?.Spec, spec, changes, draft.Environment);
        if (review.ChangesNothing && draft.Current is not null)
        {
            return Outcome<ReviewedRequest>.Invalid("", $"Nothing changes compared to revision {draft.Current.Revision}.");
        }

        return Outcome<ReviewedRequest>.Ok(new ReviewedRequest(spec, changes, review));
    }

    public async Task<Outcome<DeploymentRequest>> SubmitAsync(ClaimsPrincipal user, RequestDraft draft, RequestForm form)
    {
        var reviewed = Review(draft, form);
        if (!reviewed.Succeeded)
        {
            return new Outcome<DeploymentRequest>(reviewed.Kind, null, reviewed.Message, reviewed.FieldErrors);
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var service = await db.Services.Include(s => s.Team).SingleAsync(s => s.Id == draft.Service.Id);
        if (!await access.CanChangeAsync(user, service.TeamId))
        {
            return Outcome<DeploymentRequest>.Forbidden($"Only members of {service.Team.Name} can request deployments of {service.Name}.");
        }

        if (service.IsArchived)
        {
            return Outcome<DeploymentRequest>.Conflict($"{service.Name} is archived: restore it before deploying it.");
        }

        var current = await RequestQueries.CurrentRevisionAsync(db, service.Id, draft.Environment.Name);
        if (current?.Revision != draft.Current?.Revision)
        {
            return Outcome<DeploymentRequest>.Conflict($"Revision {current?.Revision} was deployed while you were editing: reload the form to start from it.");
        }

        var now = time.GetUtcNow();
        var actor = user.Identity?.Name ?? "";
        await using var transaction = await db.Database.BeginTransactionAsync();
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

        await db.SaveChangesAsync();
        var spec = BuildSpec(draft, form, key => newValues[key].Id);
        var request = new DeploymentRequest
        {
            ServiceId = service.Id,
            Environment = draft.Environment.Name,
            State = RequestState.Submitted,
            Spec = spec,
            SpecHash = spec.Hash(),
            ImageTag = spec.ImageTag,
            BaseRevision = current?.Revision,
            RequestedById = TeamAccess.UserId(user) ?? "",
            RequestedBy = actor,
            CreatedAt = now,
            UpdatedAt = now,
            Comment = form.Comment?.Trim() ?? "",
            SecretChanges = [.. reviewed.Value!.SecretChanges],
        };
        db.DeploymentRequests.Add(request);
        await db.SaveChangesAsync();
        db.AuditEvents.Add(new AuditEvent { RequestId = request.Id, ServiceId = service.Id, Actor = actor, At = now, To = RequestState.Submitted, Comment = request.Comment });

        if (ApprovalPolicy.RequiresApproval(draft.Environment))
        {
            RequestLifecycle.Move(db, request, RequestState.AwaitingApproval, RequestLifecycle.PolicyActor, $"{draft.Environment.Name} requires an approval.", now);
        }
        else
        {
            request.Decisions.Add(new RequestDecision { Kind = DecisionKind.Approved, DecidedBy = RequestLifecycle.PolicyActor, DecidedAt = now, SpecHash = request.SpecHash, BaseRevision = request.BaseRevision, Comment = $"{draft.Environment.Name} needs no approval." });
            RequestLifecycle.Move(db, request, RequestState.Approved, RequestLifecycle.PolicyActor, $"{draft.Environment.Name} needs no approval.", now);
        }

        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        logger.LogInformation("Request {RequestId} submitted by {User} for {Team}/{Service} in {Environment}: {State}", request.Id, actor, service.Team.Name, service.Name, draft.Environment.Name, request.State);
        await notifier.NotifyAsync(request.Id);
        request.Service = service;
        return Outcome<DeploymentRequest>.Ok(request);
    }

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

    private static RequestSpec BuildSpec(RequestDraft draft, RequestForm form, Func<string, int> newValueId)
    {
        var kept = draft.Current?.Spec.Secrets.ToDictionary(s => s.Key, s => s.ValueId, StringComparer.Ordinal) ?? [];
        var secrets = form.Secrets
            .Where(r => !r.Remove)
            .Select(r => new SecretRef(r.Key, r.NewValue is { Length: > 0 } ? newValueId(r.Key) : kept[r.Key]))
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .ToList();
        return new RequestSpec
        {
            ImageRepository = draft.Service.ImageRepository,
            ImageTag = form.ImageTag.Trim(),
            ImageDigest = string.IsNullOrWhiteSpace(form.ImageDigest) ? null : form.ImageDigest,
            Replicas = form.Autoscaling ? null : form.Replicas,
            Autoscaling = form.Autoscaling ? new AutoscalingSpec(form.MinReplicas, form.MaxReplicas, form.CpuTargetPercent, form.MemoryTargetPercent) : null,
            Resources = new ResourceSpec(form.CpuRequest.Trim(), form.CpuLimit.Trim(), form.MemoryRequest.Trim(), form.MemoryLimit.Trim()),
            EnvVars = [.. form.EnvVars.Select(e => new EnvVarSpec(e.Name, e.Value ?? ""))],
            Secrets = secrets,
            Readiness = form.ReadinessEnabled ? new ProbeSpec(form.ReadinessPath, form.ReadinessPort, form.ReadinessInitialDelaySeconds) : null,
            Liveness = form.LivenessEnabled ? new ProbeSpec(form.LivenessPath, form.LivenessPort, form.LivenessInitialDelaySeconds) : null,
            ContainerPort = form.ContainerPort,
        };
    }
}
