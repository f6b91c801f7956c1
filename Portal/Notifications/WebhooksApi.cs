using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Notifications;

/// <summary>A team's webhooks over the API; the signing secret is in the 201 answer only.</summary>
public static class WebhooksApi
{
    public static void MapWebhooksApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/teams/{team}/webhooks").RequireAuthorization(Policies.Api).WithTags("Notifications");
        api.MapGet("/", async (string team, ClaimsPrincipal user, TeamWebhooks hooks, CancellationToken ct) =>
            Answer(await hooks.ListAsync(user, team, ct)));
        api.MapPost("/", async Task<Results<Created<CreatedWebhook>, ProblemHttpResult>> (string team, WebhookForm form, ClaimsPrincipal user, TeamWebhooks hooks, CancellationToken ct) =>
        {
            var created = await hooks.CreateAsync(user, team, form, ct);
            return created.Succeeded
                ? TypedResults.Created($"/api/teams/{team}/webhooks/{created.Value!.Hook.Id}", created.Value)
                : RequestsApi.Problem(created);
        }).WithSummary("Create a webhook. The answer holds its signing secret: the only time it is shown.");
        api.MapDelete("/{id:int}", async Task<Results<NoContent, ProblemHttpResult>> (string team, int id, ClaimsPrincipal user, TeamWebhooks hooks, CancellationToken ct) =>
        {
            var deleted = await hooks.DeleteAsync(user, team, id, ct);
            return deleted.Succeeded ? TypedResults.NoContent() : RequestsApi.Problem(deleted);
        });
        api.MapPost("/{id:int}/test", async Task<Results<Accepted<TestQueued>, ProblemHttpResult>> (string team, int id, ClaimsPrincipal user, TeamWebhooks hooks, CancellationToken ct) =>
        {
            var queued = await hooks.SendTestAsync(user, team, id, ct);
            return queued.Succeeded ? TypedResults.Accepted($"/api/teams/{team}/webhooks/{id}/deliveries", new TestQueued(queued.Value)) : RequestsApi.Problem(queued);
        }).WithSummary("Queue a signed test event for this hook; its outcome appears in the delivery log.");
        api.MapGet("/{id:int}/deliveries", async (string team, int id, ClaimsPrincipal user, TeamWebhooks hooks, CancellationToken ct) =>
            Answer(await hooks.DeliveriesAsync(user, team, id, 50, ct)))
            .WithSummary("The hook's newest deliveries: state, attempts, last status code, time and error.");
    }

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>(Outcome<T> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : RequestsApi.Problem(outcome);
}

public sealed record TestQueued(long DeliveryId);
