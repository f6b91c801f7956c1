using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Catalog;
using Portal.Cluster;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Imports;

/// <summary>What the user picked from a plan: services by portal name, an environment for first deploys, confirmed secrets.</summary>
/// <param name="Environment">Where to submit a first deploy request of each service; null registers only.</param>
/// <param name="ConfirmedSecrets">Secret keys the user confirmed, as <c>service/KEY</c>.</param>
public sealed record ImportChoice(IReadOnlyCollection<string> Services, string? Environment, IReadOnlyCollection<string> ConfirmedSecrets)
{
    public static string SecretId(string service, string key) => $"{service}/{key}";
}

/// <param name="Page">The service's page in the portal.</param>
/// <param name="RequestProblem">Why its first deploy request was not submitted, or null.</param>
public sealed record ImportedService(string Name, ServiceKind Kind, string Page, int? RequestId, string? RequestState, string? RequestProblem);

public sealed record ImportResult(string Team, string? Environment, IReadOnlyList<ImportedService> Services);

/// <summary>
/// Registers the chosen services of a compose file through <see cref="ServiceCatalog"/> and submits their first deploy
/// requests through <see cref="RequestService"/>, so the same validation, approval policy and audit apply. Every chosen
/// service and first deploy is checked before the first is registered: one invalid service and nothing is written.
/// </summary>
public sealed class ComposeImport(
    IDbContextFactory<PortalDbContext> dbFactory,
    TeamAccess access,
    ServiceCatalog catalog,
    RequestService requests,
    IOptions<EnvironmentCatalog> environments,
    ILogger<ComposeImport> logger)
{
    public async Task<Outcome<ImportResult>> ImportAsync(ClaimsPrincipal user, string teamName, ComposeFile file, ImportChoice choice, CancellationToken cancellationToken = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var team = await db.Teams.AsNoTracking().SingleOrDefaultAsync(t => t.Name == teamName, cancellationToken);
            if (team is null)
            {
                return Outcome<ImportResult>.NotFound($"There is no team '{teamName}'.");
            }

            if (!await access.CanChangeAsync(user, team.Id, cancellationToken))
            {
                return Outcome<ImportResult>.Forbidden($"Only members of {team.Name} can register its services.");
            }

            var refused = await CheckAsync(db, team.Id, teamName, file, choice, cancellationToken);
            if (refused is not null)
            {
                return refused;
            }
        }

        var chosen = file.Plan.Services.Where(s => choice.Services.Contains(s.Name)).ToList();
        var environment = choice.Environment is null ? null : environments.Value.Find(choice.Environment);
        foreach (var service in chosen)
        {
            var registered = await catalog.RegisterAsync(user, ServiceFormOf(service, teamName));
            if (!registered.Succeeded)
            {
                // Only a registration racing this import gets here: everything was checked above.
                return new Outcome<ImportResult>(registered.Kind, null, $"{service.Name}: {registered.Message}",
                    registered.FieldErrors.ToDictionary(e => $"services.{service.Name}.{e.Key}", e => e.Value));
            }
        }

        var imported = new List<ImportedService>();
        foreach (var service in chosen)
        {
            var page = $"/services/{teamName}/{service.Name}";
            if (environment is null)
            {
                imported.Add(new(service.Name, service.Kind, page, null, null, null));
                continue;
            }

            var submitted = await SubmitFirstDeployAsync(user, teamName, service, file, environment, cancellationToken);
            imported.Add(submitted.Succeeded
                ? new(service.Name, service.Kind, page, submitted.Value!.Id, submitted.Value.State.ToString(), null)
                : new(service.Name, service.Kind, page, null, null, Describe(submitted)));
        }

        logger.LogInformation("{User} imported {Count} services from a compose file into {Team}; first deploys to {Environment}",
            user.Identity?.Name, imported.Count, teamName, environment?.Name ?? "none");
        return Outcome<ImportResult>.Ok(new ImportResult(teamName, environment?.Name, imported));
    }

    /// <summary>Every reason the import would fail, keyed by <c>services.{name}.{field}</c>; null when there is none.</summary>
    private async Task<Outcome<ImportResult>?> CheckAsync(PortalDbContext db, int teamId, string teamName, ComposeFile file, ImportChoice choice, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string key, string message)
        {
            if (!errors.TryGetValue(key, out var list))
            {
                errors[key] = list = [];
            }

            list.Add(message);
        }

        if (choice.Services.Count == 0)
        {
            Add("services", "Pick at least one service to import.");
        }

        foreach (var unknown in choice.Services.Where(name => file.Plan.Services.All(s => s.Name != name)))
        {
            Add("services", $"The file has no service '{KubernetesNames.Shorten(unknown)}'.");
        }

        DeploymentEnvironment? environment = null;
        if (choice.Environment is not null && (environment = environments.Value.Find(choice.Environment)) is null)
        {
            Add("environment", $"There is no environment '{KubernetesNames.Shorten(choice.Environment)}'. Configured: {string.Join(", ", environments.Value.Environments.Select(e => e.Name))}.");
        }

        foreach (var service in file.Plan.Services.Where(s => choice.Services.Contains(s.Name)))
        {
            var prefix = $"services.{service.Name}";
            foreach (var problem in service.Problems)
            {
                Add(prefix, $"{service.Name}: {problem}");
            }

            foreach (var key in service.SecretKeys.Where(k => !choice.ConfirmedSecrets.Contains(ImportChoice.SecretId(service.Name, k))))
            {
                Add($"{prefix}.secrets.{key}", $"{service.Name}: confirm that {key} is a secret. Its value is stored encrypted and never shown again.");
            }

            if (service.Problems.Count > 0)
            {
                continue;
            }

            foreach (var (field, messages) in ServiceFormOf(service, teamName).Errors())
            {
                Add($"{prefix}.{field}", $"{service.Name}: {string.Join(" ", messages)}");
            }

            if (await db.Services.AnyAsync(s => s.TeamId == teamId && s.Name == service.Name, cancellationToken))
            {
                Add($"{prefix}.Name", $"{teamName} already has a service named '{service.Name}'.");
            }

            if (environment is not null)
            {
                var form = FirstDeployForm(service, environment, file.SecretValuesOf(service.Name));
                foreach (var (field, messages) in RequestValidator.Validate(form, environment, new Dictionary<string, int>()))
                {
                    Add($"{prefix}.{field}", $"{service.Name} in {environment.Name}: {string.Join(" ", messages)}");
                }
            }
        }

        return errors.Count == 0
            ? null
            : new Outcome<ImportResult>(OutcomeKind.Invalid, null, "Nothing was imported: fix what is listed and try again.", errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    private async Task<Outcome<DeploymentRequest>> SubmitFirstDeployAsync(
        ClaimsPrincipal user, string team, PlannedService service, ComposeFile file, DeploymentEnvironment environment, CancellationToken cancellationToken)
    {
        var draft = await requests.DraftAsync(user, team, service.Name, environment.Name);
        if (!draft.Succeeded)
        {
            return new Outcome<DeploymentRequest>(draft.Kind, null, draft.Message, draft.FieldErrors);
        }

        var form = FirstDeployForm(service, environment, file.SecretValuesOf(service.Name));
        return await requests.SubmitAsync(user, draft.Value!, form, cancellationToken);
    }

    private static string Describe(Outcome<DeploymentRequest> outcome) =>
        outcome.FieldErrors.Count == 0
            ? outcome.Message ?? "Not submitted."
            : $"{outcome.Message} {string.Join(" ", outcome.FieldErrors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}";

    public static ServiceForm ServiceFormOf(PlannedService service, string team) => new()
    {
        Name = service.Name,
        Team = team,
        ImageRepository = service.ImageRepository,
        Kind = service.Kind,
        // A worker has no port: the catalog stores 0 for it; the form keeps its default so that its port check passes.
        ContainerPort = service.Kind == ServiceKind.Worker ? new ServiceForm().ContainerPort : service.ContainerPort,
        Description = $"Imported from Docker Compose (service '{service.ComposeName}').",
    };

    /// <summary>The first deploy request of a planned service, as the request form would hold it.</summary>
    public static RequestForm FirstDeployForm(PlannedService service, DeploymentEnvironment environment, IReadOnlyDictionary<string, string> secretValues)
    {
        var form = RequestForm.FirstDeploy(service.ContainerPort, environment.MaxReplicas, service.Kind);
        form.ImageTag = service.ImageTag;
        form.Autoscaling = false;
        form.Replicas = service.Replicas;
        (form.CpuRequest, form.CpuLimit, form.MemoryRequest, form.MemoryLimit) =
            (service.Resources.CpuRequest, service.Resources.CpuLimit, service.Resources.MemoryRequest, service.Resources.MemoryLimit);
        form.EnvVars = [.. service.EnvVars.Select(e => new EnvVarRow { Name = e.Name, Value = e.Value })];
        form.Secrets = [.. service.SecretKeys.Select(k => new SecretRow { Key = k, NewValue = secretValues.GetValueOrDefault(k) })];
        form.SetProbe(ProbeRole.Readiness, service.Readiness);
        form.Volumes = [.. service.Volumes.Select(v => new VolumeRow { Name = v.Name, Size = v.Size, MountPath = v.MountPath, StorageClass = v.StorageClass, AccessMode = v.AccessMode })];
        form.Comment = "First deploy, imported from Docker Compose.";
        return form;
    }
}
