using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Catalog;

/// <summary>A registered service as the API returns it; <paramref name="ContainerPort"/> is null for a worker.</summary>
public sealed record ServiceResource(string Name, string Team, ServiceKind Kind, string ImageRepository, int? ContainerPort, string Page);

public static class CatalogExtensions
{
    public static void AddCatalog(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ServiceCatalog>();
        builder.Services.AddScoped<ServiceExport>();
    }

    public static void MapCatalog(this WebApplication app)
    {
        app.MapGet("/api/services/{team}/{service}/export", ExportAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Catalog")
            .WithSummary("The service's applied manifests as a Kustomize tree (base and one overlay per environment) in a zip; secret values are placeholders.");
        app.MapPost("/api/teams/{team}/services", RegisterAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Catalog")
            .WithSummary("Register a service of the team: kind web (with a container port) or worker (no port, no Service object).");
    }

    private static async Task<Results<Created<ServiceResource>, ProblemHttpResult, ValidationProblem>> RegisterAsync(string team, ServiceForm form, ClaimsPrincipal user, ServiceCatalog catalog)
    {
        form.Team = team;
        var outcome = await catalog.RegisterAsync(user, form);
        if (!outcome.Succeeded)
        {
            return outcome.Kind == OutcomeKind.Invalid ? TypedResults.ValidationProblem(outcome.FieldErrors, title: outcome.Message ?? "The service is not valid.") : RequestsApi.Problem(outcome);
        }

        var service = outcome.Value!;
        return TypedResults.Created($"/services/{service.Team.Name}/{service.Name}", new ServiceResource(
            service.Name, service.Team.Name, service.Kind, service.ImageRepository, service.Kind == ServiceKind.Worker ? null : service.ContainerPort, $"/services/{service.Team.Name}/{service.Name}"));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(string team, string service, ClaimsPrincipal user, ServiceExport export, CancellationToken cancellationToken)
    {
        var outcome = await export.ExportAsync(user, team, service, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.File(outcome.Value!, "application/zip", $"{service}-kustomize.zip")
            : RequestsApi.Problem(outcome);
    }
}
