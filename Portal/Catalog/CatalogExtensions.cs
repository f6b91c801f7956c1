using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Catalog;

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
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(string team, string service, ClaimsPrincipal user, ServiceExport export, CancellationToken cancellationToken)
    {
        var outcome = await export.ExportAsync(user, team, service, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.File(outcome.Value!, "application/zip", $"{service}-kustomize.zip")
            : RequestsApi.Problem(outcome);
    }
}
