using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Identity;

namespace Portal.Requests;

/// <summary>One row of a request list; the whole request is at <c>GET /api/requests/{id}</c>.</summary>
public sealed record RequestListItem(
    int Id,
    string Team,
    string Service,
    string Environment,
    string State,
    string ImageTag,
    int? Revision,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    string Page);

/// <summary>A page of a list, newest first. <see cref="Page"/> counts from 1; <see cref="Total"/> counts every match.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

public static class RequestListApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static void MapRequestListApi(this RouteGroupBuilder api)
    {
        api.MapGet("/services/{team}/{service}/requests", ServiceRequestsAsync)
            .WithSummary("A service's deployment requests, newest first, paged (page from 1, pageSize up to 100); optionally one environment's.");
        api.MapGet("/requests", RequestsAsync)
            .WithSummary("The deployment requests of your teams (every team's for an Admin), newest first, paged; optionally one team's or one state.");
    }

    private static async Task<Results<Ok<ListPage<RequestListItem>>, ProblemHttpResult, ValidationProblem>> ServiceRequestsAsync(
        string team, string service, string? environment, string? page, string? pageSize,
        ClaimsPrincipal user, RequestQueries queries, TeamAccess access, IOptions<EnvironmentCatalog> environments, IDbContextFactory<PortalDbContext> dbFactory, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Portal.Paging.Parse(page, pageSize, DefaultPageSize, MaxPageSize, errors);
        if (!string.IsNullOrEmpty(environment) && environments.Value.Find(environment) is null)
        {
            errors["environment"] = [$"There is no environment '{environment}'. Known: {string.Join(", ", environments.Value.Environments.Select(e => e.Name))}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Some query parameters are not valid.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (found, problem) = await Catalog.ServiceRoute.FindVisibleAsync(db, access, user, team, service, cancellationToken);
        if (found is null)
        {
            return problem!;
        }

        var filter = new RequestFilter(ServiceId: found.Id, Environment: string.IsNullOrEmpty(environment) ? null : environment);
        return TypedResults.Ok(await PageAsync(user, queries, filter, paging, cancellationToken));
    }

    private static async Task<Results<Ok<ListPage<RequestListItem>>, ProblemHttpResult, ValidationProblem>> RequestsAsync(
        string? team, string? state, string? page, string? pageSize,
        ClaimsPrincipal user, RequestQueries queries, TeamAccess access, IDbContextFactory<PortalDbContext> dbFactory, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Portal.Paging.Parse(page, pageSize, DefaultPageSize, MaxPageSize, errors);
        RequestState? wanted = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (Enum.TryParse<RequestState>(state, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsDigit(state[0]))
            {
                wanted = parsed;
            }
            else
            {
                errors["state"] = [$"'{state}' is not a request state. Known: {string.Join(", ", Enum.GetNames<RequestState>())}."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Some query parameters are not valid.");
        }

        int? teamId = null;
        if (!string.IsNullOrEmpty(team))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            teamId = await db.Teams.Where(t => t.Name == team).Select(t => (int?)t.Id).SingleOrDefaultAsync(cancellationToken);
            if (teamId is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no team {team}.");
            }

            if (!await access.CanSeeAsync(user, teamId.Value, cancellationToken))
            {
                return NotYourTeam(team);
            }
        }

        return TypedResults.Ok(await PageAsync(user, queries, new RequestFilter(TeamId: teamId, State: wanted), paging, cancellationToken));
    }

    private static async Task<ListPage<RequestListItem>> PageAsync(ClaimsPrincipal user, RequestQueries queries, RequestFilter filter, Portal.Paging paging, CancellationToken cancellationToken)
    {
        var (items, total) = await queries.PageAsync(user, filter, paging.Page, paging.PageSize, cancellationToken);
        return new ListPage<RequestListItem>(
            [.. items.Select(r => new RequestListItem(r.Id, r.Team, r.Service, r.Environment, r.State.ToString(), r.ImageTag, r.Revision, r.RequestedBy, r.CreatedAt, $"/requests/{r.Id}"))],
            paging.Page, paging.PageSize, total);
    }

    internal static ProblemHttpResult NotYourTeam(string team) => Catalog.ServiceRoute.NotYourTeam(team);
}
