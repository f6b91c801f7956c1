using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Rollouts;

public sealed record RollbackBody(int Revision, string? Comment = null);

public static class RollbackApi
{
    public static void MapRollbackApi(this WebApplication app)
    {
        app.MapPost("/api/services/{team}/{service}/environments/{environment}/rollback", RollbackAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Rollouts")
            .WithSummary("Roll back to an earlier revision: a new request that copies it, secret values included.");
        app.MapGet("/api/requests/{id:int}/rollout", GetAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Rollouts")
            .WithSummary("The latest rollout snapshot of a request.");
    }

    private static async Task<Results<Created<RequestResource>, ProblemHttpResult>> RollbackAsync(
        string team, string service, string environment, RollbackBody body, ClaimsPrincipal user, RequestService requests, RequestQueries queries, IDbContextFactory<PortalDbContext> dbFactory)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var (found, problem) = await Catalog.ServiceRoute.FindAsync(db, team, service);
        if (found is null)
        {
            return problem!;
        }

        var outcome = await requests.RollbackAsync(user, found.Id, environment, body.Revision, body.Comment);
        if (!outcome.Succeeded)
        {
            return RequestsApi.Problem(outcome);
        }

        var detail = (await queries.DetailAsync(user, outcome.Value!.Id))!;
        return TypedResults.Created($"/api/requests/{detail.Request.Id}", RequestsApi.Resource(detail));
    }

    private static async Task<Results<Ok<RolloutSnapshot>, ProblemHttpResult>> GetAsync(int id, ClaimsPrincipal user, RolloutStreams streams, CancellationToken cancellationToken)
    {
        if (!await streams.CanWatchAsync(user, id, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"There is no request #{id} you can see.");
        }

        return await streams.LatestAsync(id, cancellationToken) is { } snapshot
            ? TypedResults.Ok(snapshot)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"Request #{id} has not been applied yet.");
    }
}
