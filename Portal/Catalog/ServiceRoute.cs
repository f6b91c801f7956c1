using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Catalog;

/// <summary>The service an API route names as <c>{team}/{service}</c>: what the endpoints need of it.</summary>
public sealed record RoutedService(int Id, int TeamId, string ImageRepository);

/// <summary>
/// Finds the service of a <c>/api/services/{team}/{service}/...</c> route, or the ProblemDetails every such endpoint
/// answers: 404 for no such service, 403 for another team's service where the caller must be able to see it.
/// </summary>
public static class ServiceRoute
{
    public static async Task<(RoutedService? Service, ProblemHttpResult? Problem)> FindAsync(
        PortalDbContext db, string team, string service, CancellationToken cancellationToken = default)
    {
        var found = await db.Services.Where(s => s.Team.Name == team && s.Name == service)
            .Select(s => new RoutedService(s.Id, s.TeamId, s.ImageRepository))
            .SingleOrDefaultAsync(cancellationToken);
        return found is null
            ? (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no service {team}/{service}."))
            : (found, null);
    }

    /// <summary>As <see cref="FindAsync"/>, and the caller must see the service's team (a member, or an Admin).</summary>
    public static async Task<(RoutedService? Service, ProblemHttpResult? Problem)> FindVisibleAsync(
        PortalDbContext db, TeamAccess access, ClaimsPrincipal user, string team, string service, CancellationToken cancellationToken = default)
    {
        var (found, problem) = await FindAsync(db, team, service, cancellationToken);
        if (found is not null && !await access.CanSeeAsync(user, found.TeamId, cancellationToken))
        {
            return (null, NotYourTeam(team));
        }

        return (found, problem);
    }

    public static ProblemHttpResult NotYourTeam(string team) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your team's service", detail: $"Only members of {team} (and Admins) see its deployment requests and images.");
}
