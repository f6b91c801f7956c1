using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Portal.Identity;

namespace Portal.Requests;

/// <summary>
/// A change on top of the current revision: only the fields given change. Replicas turns autoscaling off; Autoscaling
/// turns it on. Secret values are write-only: they are never returned.
/// </summary>
public sealed record RequestChange(
    string? ImageTag = null,
    string? ImageDigest = null,
    int? Replicas = null,
    AutoscalingChange? Autoscaling = null,
    ResourcesChange? Resources = null,
    Dictionary<string, string>? SetEnv = null,
    List<string>? RemoveEnv = null,
    Dictionary<string, string>? SetSecrets = null,
    List<string>? RemoveSecrets = null,
    ProbeChange? Readiness = null,
    bool? RemoveReadiness = null,
    ProbeChange? Liveness = null,
    bool? RemoveLiveness = null,
    int? ContainerPort = null,
    string? Comment = null,
    ProbeChange? Startup = null,
    bool? RemoveStartup = null,
    StrategyChange? Strategy = null,
    DisruptionBudgetChange? DisruptionBudget = null,
    bool? RemoveDisruptionBudget = null,
    IngressChange? Ingress = null,
    bool? RemoveIngress = null,
    string? BreakGlassReason = null,
    List<VolumeChange>? Volumes = null);

/// <summary>
/// One persistent volume. Given, <see cref="RequestChange.Volumes"/> is the whole list (empty: none mounted; claims are
/// kept); left out, the volumes stay as they are. Errors name the field as <c>Volumes[i].Size</c>.
/// </summary>
public sealed record VolumeChange(string? Name = null, string? Size = null, string? MountPath = null, string? StorageClass = null, VolumeAccessMode AccessMode = VolumeAccessMode.ReadWriteOnce);

public sealed record AutoscalingChange(int MinReplicas, int MaxReplicas, int CpuTargetPercent = 70, int? MemoryTargetPercent = null);

public sealed record ResourcesChange(string? CpuRequest = null, string? CpuLimit = null, string? MemoryRequest = null, string? MemoryLimit = null);

/// <summary>A probe: HTTP (path, port) unless <paramref name="Type"/> says Tcp (port) or Exec (command). Timings left out keep Kubernetes' defaults.</summary>
public sealed record ProbeChange(
    string? Path = null,
    int? Port = null,
    int InitialDelaySeconds = 5,
    ProbeKind? Type = null,
    List<string>? Command = null,
    int? PeriodSeconds = null,
    int? TimeoutSeconds = null,
    int? SuccessThreshold = null,
    int? FailureThreshold = null);

/// <summary>The rollout strategy; surge and unavailable are "1" or "25%". Left out: Kubernetes' defaults (25%).</summary>
public sealed record StrategyChange(RolloutStrategyKind Type = RolloutStrategyKind.RollingUpdate, string? MaxSurge = null, string? MaxUnavailable = null);

/// <summary>A PodDisruptionBudget: one of the two, "1" or "50%".</summary>
public sealed record DisruptionBudgetChange(string? MinAvailable = null, string? MaxUnavailable = null);

public sealed record IngressChange(
    string? Host = null, string Path = "/", IngressPathType PathType = IngressPathType.Prefix, string? TlsSecretName = null, string? ClusterIssuer = null, string? ClassName = null);

/// <param name="BreakGlassReason">For an Admin approving during a freeze: why.</param>
public sealed record DecisionBody(string? Comment = null, string? BreakGlassReason = null);

public sealed record RequestResource(
    int Id,
    string Team,
    string Service,
    string Environment,
    string State,
    string Image,
    string ImageTag,
    string? ImageDigest,
    int? BaseRevision,
    int? Revision,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    string Comment,
    string SpecHash,
    IReadOnlyList<string> Changes,
    IReadOnlyList<string> Risks,
    IReadOnlyList<SecretResource> Secrets,
    IReadOnlyList<DecisionResource> Decisions,
    string Page);

public sealed record SecretResource(string Key, string SetBy, DateTimeOffset SetAt);

public sealed record DecisionResource(string Kind, string DecidedBy, string Comment, DateTimeOffset DecidedAt);

public static class RequestsApi
{
    public static void MapRequestsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Api).WithTags("Requests");
        api.MapPost("/services/{team}/{service}/environments/{environment}/requests", SubmitAsync)
            .WithSummary("Submit a deployment request: the given fields on top of the environment's current revision.");
        api.MapGet("/requests/{id:int}", GetAsync).WithSummary("A deployment request, its review and decisions. Never secret values.");
        api.MapPost("/requests/{id:int}/approve", (int id, DecisionBody? body, ClaimsPrincipal user, RequestLifecycle lifecycle, RequestQueries queries) =>
            DecideAsync(id, user, queries, () => lifecycle.ApproveAsync(user, id, body?.Comment, body?.BreakGlassReason)));
        api.MapPost("/requests/{id:int}/reject", (int id, DecisionBody? body, ClaimsPrincipal user, RequestLifecycle lifecycle, RequestQueries queries) =>
            DecideAsync(id, user, queries, () => lifecycle.RejectAsync(user, id, body?.Comment)));
        api.MapPost("/requests/{id:int}/cancel", (int id, DecisionBody? body, ClaimsPrincipal user, RequestLifecycle lifecycle, RequestQueries queries) =>
            DecideAsync(id, user, queries, () => lifecycle.CancelAsync(user, id, body?.Comment)));
        api.MapRequestListApi();
    }

    private static async Task<Results<Created<RequestResource>, ProblemHttpResult, ValidationProblem>> SubmitAsync(
        string team, string service, string environment, [FromBody] RequestChange change, ClaimsPrincipal user, RequestService requests, RequestQueries queries, CancellationToken cancellationToken)
    {
        // The change goes on top of the revision current when it is stored: a revision that lands between the draft's read
        // and the store (a rollout finishing) is not the caller's conflict, so the draft is read again on top of it.
        Outcome<RequestDraft> draft;
        Outcome<DeploymentRequest> submitted;
        for (var attempt = 1; ; attempt++)
        {
            draft = await requests.DraftAsync(user, team, service, environment);
            if (!draft.Succeeded)
            {
                return Problem(draft);
            }

            var form = draft.Value!.Form;
            Apply(change, form);
            submitted = await requests.SubmitAsync(user, draft.Value, form, cancellationToken, draftJustRead: true);
            if (submitted.Kind != OutcomeKind.Conflict || attempt == 3
                || (await queries.CurrentRevisionAsync(draft.Value.Service.Id, draft.Value.Environment.Name))?.Revision == draft.Value.Current?.Revision)
            {
                break;
            }
        }

        if (!submitted.Succeeded)
        {
            return submitted.Kind == OutcomeKind.Invalid ? TypedResults.ValidationProblem(submitted.FieldErrors, title: submitted.Message) : Problem(submitted);
        }

        // The base revision is the draft's current one (the submit refuses another), so nothing needs reading back.
        var detail = queries.Submitted(submitted.Value!, draft.Value!.Current?.Spec) ?? (await queries.ResourceDetailAsync(user, submitted.Value!.Id, cancellationToken))!;
        return TypedResults.Created($"/api/requests/{detail.Request.Id}", Resource(detail));
    }

    /// <summary>An unchanged request's JSON is written once (<see cref="ResourceJson"/>): the version check is all a repeated GET costs.</summary>
    private static async Task<Results<Utf8JsonResult<RequestResource>, ProblemHttpResult>> GetAsync(int id, ClaimsPrincipal user, RequestQueries queries, ResourceJson json)
    {
        var detail = await queries.ResourceDetailAsync(user, id);
        if (detail is not null)
        {
            return json.Of(detail);
        }

        return await NotVisibleAsync(id, queries);
    }

    private static async Task<Results<Ok<RequestResource>, ProblemHttpResult, ValidationProblem>> DecideAsync(
        int id, ClaimsPrincipal user, RequestQueries queries, Func<Task<Outcome<DeploymentRequest>>> decide)
    {
        if (await queries.DetailAsync(user, id) is null)
        {
            return await NotVisibleAsync(id, queries);
        }

        var outcome = await decide();
        if (outcome.Kind == OutcomeKind.Invalid)
        {
            return TypedResults.ValidationProblem(outcome.FieldErrors, title: outcome.Message);
        }

        return outcome.Succeeded ? TypedResults.Ok(Resource((await queries.ResourceDetailAsync(user, id))!)) : Problem(outcome);
    }

    /// <summary>403 for a request of another team, 404 for one that does not exist.</summary>
    private static async Task<ProblemHttpResult> NotVisibleAsync(int id, RequestQueries queries) =>
        await queries.ExistsAsync(id)
            ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your team's request", detail: $"Request #{id} belongs to a team you are not a member of.")
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no request #{id}.");

    internal static ProblemHttpResult Problem<T>(Outcome<T> outcome) => outcome.Kind switch
    {
        OutcomeKind.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: outcome.Message),
        OutcomeKind.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: outcome.Message),
        OutcomeKind.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: outcome.Message),
        OutcomeKind.Invalid when outcome.FieldErrors.Count > 0 => TypedResults.Problem(new HttpValidationProblemDetails(outcome.FieldErrors.ToDictionary())
        {
            Status = StatusCodes.Status400BadRequest,
            Title = outcome.Message,
            Detail = string.Join(" ", outcome.FieldErrors.SelectMany(e => e.Value)),
        }),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: outcome.Message),
    };

    /// <summary>Lays an API change over the form pre-filled from the current revision.</summary>
    internal static void Apply(RequestChange change, RequestForm form)
    {
        if (change.ImageTag is not null)
        {
            form.ImageTag = change.ImageTag;
            form.ImageDigest = change.ImageDigest;
        }

        if (change.Replicas is { } replicas)
        {
            form.Autoscaling = false;
            form.Replicas = replicas;
        }

        if (change.Autoscaling is { } hpa)
        {
            form.Autoscaling = true;
            (form.MinReplicas, form.MaxReplicas, form.CpuTargetPercent, form.MemoryTargetPercent) = (hpa.MinReplicas, hpa.MaxReplicas, hpa.CpuTargetPercent, hpa.MemoryTargetPercent);
        }

        if (change.Resources is { } resources)
        {
            form.CpuRequest = resources.CpuRequest ?? form.CpuRequest;
            form.CpuLimit = resources.CpuLimit ?? form.CpuLimit;
            form.MemoryRequest = resources.MemoryRequest ?? form.MemoryRequest;
            form.MemoryLimit = resources.MemoryLimit ?? form.MemoryLimit;
        }

        foreach (var name in change.RemoveEnv ?? [])
        {
            form.EnvVars.RemoveAll(e => e.Name == name);
        }

        foreach (var (name, value) in change.SetEnv ?? [])
        {
            var row = form.EnvVars.Find(e => e.Name == name);
            if (row is null)
            {
                form.EnvVars.Add(new EnvVarRow { Name = name, Value = value });
            }
            else
            {
                row.Value = value;
            }
        }

        foreach (var key in change.RemoveSecrets ?? [])
        {
            form.Secrets.Where(s => s.Key == key).ToList().ForEach(s => s.Remove = true);
        }

        foreach (var (key, value) in change.SetSecrets ?? [])
        {
            var row = form.Secrets.Find(s => s.Key == key);
            if (row is null)
            {
                form.Secrets.Add(new SecretRow { Key = key, NewValue = value });
            }
            else
            {
                (row.NewValue, row.Remove) = (value, false);
            }
        }

        form.ContainerPort = change.ContainerPort ?? form.ContainerPort;
        foreach (var (role, probe, remove) in new[]
        {
            (ProbeRole.Readiness, change.Readiness, change.RemoveReadiness),
            (ProbeRole.Liveness, change.Liveness, change.RemoveLiveness),
            (ProbeRole.Startup, change.Startup, change.RemoveStartup),
        })
        {
            var fields = form.ProbeOf(role);
            if (probe is not null)
            {
                form.SetProbe(role, new ProbeInput(
                    true,
                    probe.Type ?? ProbeKind.Http,
                    probe.Path ?? "",
                    probe.Port ?? form.ContainerPort,
                    string.Join('\n', probe.Command ?? []),
                    probe.InitialDelaySeconds,
                    probe.PeriodSeconds ?? ProbeSpec.DefaultPeriodSeconds,
                    probe.TimeoutSeconds ?? ProbeSpec.DefaultTimeoutSeconds,
                    probe.SuccessThreshold ?? ProbeSpec.DefaultSuccessThreshold,
                    probe.FailureThreshold ?? (role == ProbeRole.Startup ? fields.FailureThreshold : ProbeSpec.DefaultFailureThreshold)));
            }
            else if (remove == true)
            {
                form.SetProbe(role, fields with { Enabled = false });
            }
        }

        if (change.Strategy is { } strategy)
        {
            form.Strategy = strategy.Type;
            form.MaxSurge = strategy.MaxSurge ?? RolloutStrategySpec.DefaultMaxSurge;
            form.MaxUnavailable = strategy.MaxUnavailable ?? RolloutStrategySpec.DefaultMaxUnavailable;
        }

        if (change.DisruptionBudget is { } budget)
        {
            form.DisruptionBudgetEnabled = true;
            form.DisruptionBudgetMode = budget.MinAvailable is not null ? DisruptionBudgetMode.MinAvailable : DisruptionBudgetMode.MaxUnavailable;
            form.DisruptionBudgetValue = budget.MinAvailable ?? budget.MaxUnavailable ?? "";
        }
        else if (change.RemoveDisruptionBudget == true)
        {
            form.DisruptionBudgetEnabled = false;
        }

        if (change.Ingress is { } ingress)
        {
            form.IngressEnabled = true;
            (form.IngressHost, form.IngressPath, form.IngressPathType) = (ingress.Host ?? "", ingress.Path, ingress.PathType);
            (form.IngressTlsSecretName, form.IngressClusterIssuer, form.IngressClassName) = (ingress.TlsSecretName, ingress.ClusterIssuer, ingress.ClassName);
        }
        else if (change.RemoveIngress == true)
        {
            form.IngressEnabled = false;
        }

        if (change.Volumes is { } volumes)
        {
            form.Volumes = [.. volumes.Select(v => new VolumeRow { Name = v.Name ?? "", Size = v.Size ?? "", MountPath = v.MountPath ?? "", StorageClass = v.StorageClass, AccessMode = v.AccessMode })];
        }

        form.Comment = change.Comment;
        form.BreakGlassReason = change.BreakGlassReason;
    }

    internal static RequestResource Resource(RequestDetail detail)
    {
        var request = detail.Request;
        return new RequestResource(
            request.Id,
            detail.Team,
            detail.Service,
            request.Environment,
            request.State.ToString(),
            request.Spec.Image,
            request.Spec.ImageTag,
            request.Spec.ImageDigest,
            request.BaseRevision,
            request.Revision,
            request.RequestedBy,
            request.CreatedAt,
            request.Comment,
            request.SpecHash,
            [.. detail.Review.Changes.Select(c => c.Text)],
            [.. detail.Review.Risks.Select(r => r.Text)],
            [.. detail.Secrets.Select(s => new SecretResource(s.Key, s.SetBy, s.SetAt))],
            [.. request.Decisions.OrderBy(d => d.DecidedAt).Select(d => new DecisionResource(d.Kind.ToString(), d.DecidedBy, d.Comment, d.DecidedAt))],
            $"/requests/{request.Id}");
    }
}
