using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Metrics;

public static class MetricsExtensions
{
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(30);

    public static void AddDeliveryMetrics(this WebApplicationBuilder builder) => builder.Services.AddScoped<DeliveryMetrics>();

    public static void MapDeliveryMetrics(this WebApplication app) =>
        app.MapGet("/api/metrics/delivery", MeasureAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Metrics")
            .WithSummary("Delivery (DORA) metrics of a team, one of its services, or all the caller's teams, over [from, to): default the last 30 days.");

    private static async Task<Results<Ok<DeliveryReport>, ProblemHttpResult>> MeasureAsync(
        ClaimsPrincipal user, DeliveryMetrics metrics, TimeProvider time, CancellationToken cancellationToken,
        string? team = null, string? service = null, string? environment = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var end = to ?? time.GetUtcNow();
        var report = await metrics.MeasureAsync(user, new DeliveryQuery(Blank(team), Blank(service), Blank(environment), from ?? end - DefaultPeriod, end), cancellationToken);
        return report.Succeeded ? TypedResults.Ok(report.Value!) : RequestsApi.Problem(report);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
