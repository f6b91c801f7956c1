using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Registry;

public sealed record TagResource(string Name, string? Digest, DateTimeOffset? Created);

/// <summary>A service's image tags, newest first; digest and created time are null where the registry was not asked or did not say.</summary>
public sealed record TagsResource(string Repository, string? Registry, IReadOnlyList<TagResource> Tags, bool Truncated, DateTimeOffset FetchedAt);

public static class TagsApi
{
    public static void MapRegistry(this WebApplication app)
    {
        app.MapGet("/api/services/{team}/{service}/tags", TagsAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Registry")
            .WithSummary("The tags of a service's image repository, through the portal's registry client: newest first, with digests and created times when known.");
    }

    private static async Task<Results<Ok<TagsResource>, ProblemHttpResult>> TagsAsync(
        string team, string service, ClaimsPrincipal user, ImageCatalog catalog, TeamAccess access, IDbContextFactory<PortalDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Same rule as the request lists: the tag picker is part of a team's deployment business.
        var (found, problem) = await Catalog.ServiceRoute.FindVisibleAsync(db, access, user, team, service, cancellationToken);
        if (found is null)
        {
            return problem!;
        }

        var listing = await catalog.TagsAsync(found.ImageRepository, cancellationToken: cancellationToken);
        if (listing.Succeeded)
        {
            return TypedResults.Ok(new TagsResource(
                listing.Repository, catalog.RegistryNameFor(found.ImageRepository), [.. listing.Tags.Select(t => new TagResource(t.Name, t.Digest, t.Created))], listing.Truncated, listing.FetchedAt));
        }

        var (status, title) = listing.Status switch
        {
            RegistryStatus.NotConfigured => (StatusCodes.Status503ServiceUnavailable, "No registry configured"),
            RegistryStatus.Unreachable => (StatusCodes.Status503ServiceUnavailable, "Registry unreachable"),
            RegistryStatus.Unauthorized => (StatusCodes.Status502BadGateway, "Registry refused the portal's credentials"),
            RegistryStatus.RegistryError => (StatusCodes.Status502BadGateway, "Registry error"),
            RegistryStatus.RepositoryNotFound => (StatusCodes.Status404NotFound, "Repository not found"),
            _ => (StatusCodes.Status422UnprocessableEntity, "Not an image repository"),
        };
        return TypedResults.Problem(statusCode: status, title: title, detail: listing.Message,
            extensions: new Dictionary<string, object?> { ["repository"] = listing.Repository, ["registryStatus"] = listing.Status.ToString() });
    }
}
