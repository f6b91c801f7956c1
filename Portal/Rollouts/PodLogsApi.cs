using System.Security.Claims;
using System.Text;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Rollouts;

public static class PodLogsApi
{
    public static void MapPodLogsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/services/{team}/{service}/environments/{environment}").RequireAuthorization(Policies.Api).WithTags("Rollouts");
        api.MapGet("/pods", PodsAsync).WithSummary("The names of the service's pods in the environment.");
        api.MapGet("/pods/{pod}/log", LogAsync)
            .WithSummary("A pod's log as text, followed live until the container stops (previous=true: the container before the last restart). Bounded: the last lines and a byte cap.");
    }

    private static async Task<IResult> PodsAsync(string team, string service, string environment, ClaimsPrincipal user, PodLogs logs, CancellationToken cancellationToken)
    {
        var pods = await logs.PodsAsync(user, team, service, environment, cancellationToken);
        return pods.Succeeded ? TypedResults.Ok(pods.Value) : RequestsApi.Problem(pods);
    }

    private static async Task LogAsync(HttpContext context, string team, string service, string environment, string pod, bool? previous, ClaimsPrincipal user, PodLogs logs)
    {
        var cancellationToken = context.RequestAborted;
        var target = await logs.FindAsync(user, team, service, environment, pod, cancellationToken);
        if (!target.Succeeded)
        {
            await RequestsApi.Problem(target).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        try
        {
            await context.Response.StartAsync(cancellationToken);
            await foreach (var line in logs.StreamAsync(target.Value!, previous == true, cancellationToken))
            {
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);
                await context.Response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: the stream ends with it.
        }
    }
}
