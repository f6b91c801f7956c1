using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Releases;

/// <param name="BreakGlassReason">For an Admin promoting during a freeze: why.</param>
public sealed record PromotionBody(string? Comment = null, string? BreakGlassReason = null);

public sealed record AuditPage(IReadOnlyList<AuditRow> Items, int Page, int PageSize, int Total);

public static class ReleasesApi
{
    public static void MapReleasesApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Api).WithTags("Releases");
        api.MapPost("/services/{team}/{service}/environments/{environment}/promotions", PromoteAsync)
            .WithSummary("Promote: a request with the spec (and exact digest) that last succeeded in the environment before this one.");
        api.MapGet("/audit", AuditAsync).WithSummary("The audit trail, newest first: Admins see everything, members their teams.");
        api.MapGet("/audit/export", ExportAsync).WithSummary("The filtered audit trail as CSV.");
        // Admins only: the schedule checks the role on every change.
        var admin = app.MapGroup("/api/freeze-windows").RequireAuthorization(Policies.Api).WithTags("Releases");
        admin.MapGet("", async Task<IResult> (ClaimsPrincipal user, FreezeSchedule schedule) => TeamAccess.IsAdmin(user)
            ? TypedResults.Ok((await schedule.ListAsync()).Select(v => new { v.Environment, v.Configured, v.Window.Id, Window = v.Window.Describe(), v.Window.Reason, ActiveUntil = v.ActiveNow?.Until }))
            : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: "Only an Admin sees the freeze windows."));
        admin.MapPost("", async Task<Results<Created<FreezeWindow>, ProblemHttpResult, ValidationProblem>> ([FromBody] FreezeWindow window, ClaimsPrincipal user, FreezeSchedule schedule) =>
        {
            var added = await schedule.AddAsync(user, window);
            return added.Succeeded ? TypedResults.Created($"/api/freeze-windows/{added.Value!.Id}", added.Value)
                : added.Kind == OutcomeKind.Invalid ? TypedResults.ValidationProblem(added.FieldErrors, title: added.Message) : RequestsApi.Problem(added);
        });
        admin.MapDelete("/{id:int}", async Task<Results<NoContent, ProblemHttpResult>> (int id, ClaimsPrincipal user, FreezeSchedule schedule) =>
        {
            var removed = await schedule.RemoveAsync(user, id);
            return removed.Succeeded ? TypedResults.NoContent() : RequestsApi.Problem(removed);
        });
    }

    private static async Task<Results<Created<RequestResource>, ProblemHttpResult, ValidationProblem>> PromoteAsync(
        string team, string service, string environment, [FromBody] PromotionBody? body, ClaimsPrincipal user, RequestService requests, Promotions promotions, RequestQueries queries, CancellationToken cancellationToken)
    {
        var draft = await requests.DraftAsync(user, team, service, environment);
        if (!draft.Succeeded)
        {
            return RequestsApi.Problem(draft);
        }

        var promotion = await promotions.DraftAsync(draft.Value!, cancellationToken);
        if (!promotion.Succeeded)
        {
            return RequestsApi.Problem(promotion);
        }

        var form = promotion.Value!.Form;
        form.Comment = string.IsNullOrWhiteSpace(body?.Comment) ? form.Comment : body.Comment;
        form.BreakGlassReason = body?.BreakGlassReason;
        var submitted = await requests.SubmitAsync(user, draft.Value!, form, cancellationToken);
        if (!submitted.Succeeded)
        {
            return submitted.Kind == OutcomeKind.Invalid ? TypedResults.ValidationProblem(submitted.FieldErrors, title: submitted.Message) : RequestsApi.Problem(submitted);
        }

        var detail = (await queries.DetailAsync(user, submitted.Value!.Id))!;
        return TypedResults.Created($"/api/requests/{detail.Request.Id}", RequestsApi.Resource(detail));
    }

    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> AuditAsync(
        ClaimsPrincipal user, AuditQueries audit, string? search, string? kind, string? team, string? actor, DateTimeOffset? from, DateTimeOffset? to, string? page = null, string? pageSize = null)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Parse(page, pageSize, AuditQueries.DefaultPageSize, AuditQueries.MaxPageSize, errors);
        var filter = Filter(search, kind, team, actor, from, to);
        if (filter is null)
        {
            foreach (var (field, messages) in KindError())
            {
                errors[field] = messages;
            }
        }

        if (filter is null || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Some fields are not valid.");
        }

        var (items, total) = await audit.PageAsync(user, filter, paging.Page, paging.PageSize);
        return TypedResults.Ok(new AuditPage(items, paging.Page, paging.PageSize, total));
    }

    private static Results<PushStreamHttpResult, ValidationProblem> ExportAsync(
        ClaimsPrincipal user, AuditQueries audit, string? search, string? kind, string? team, string? actor, DateTimeOffset? from, DateTimeOffset? to)
    {
        if (Filter(search, kind, team, actor, from, to) is not { } filter)
        {
            return TypedResults.ValidationProblem(KindError(), title: "Some fields are not valid.");
        }

        return TypedResults.Stream(async stream =>
        {
            await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
            await foreach (var line in audit.CsvAsync(user, filter))
            {
                await writer.WriteAsync(line);
            }
        }, "text/csv; charset=utf-8", "audit.csv");
    }

    private static AuditFilter? Filter(string? search, string? kind, string? team, string? actor, DateTimeOffset? from, DateTimeOffset? to)
    {
        AuditSubject? subject = null;
        if (!string.IsNullOrWhiteSpace(kind))
        {
            if (!Enum.TryParse<AuditSubject>(kind, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return null;
            }

            subject = parsed;
        }

        return new AuditFilter(search, subject, team, actor, from, to);
    }

    private static Dictionary<string, string[]> KindError() =>
        new() { ["kind"] = [$"kind is one of {string.Join(", ", Enum.GetNames<AuditSubject>())}."] };
}
