using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Identity;
using Portal.Requests;

namespace Portal.Imports;

public static class ImportsApi
{
    public static void MapImportsApi(this WebApplication app)
    {
        app.MapPost("/api/teams/{team}/imports", ImportAsync)
            .RequireAuthorization(Policies.Api)
            .WithTags("Imports")
            .WithSummary("Import a docker-compose file (the raw YAML as the body, or a multipart form with a 'file' part). " +
                "dryRun=true returns the plan only; otherwise the chosen services (services=a,b; all when left out) are registered and, " +
                "with environment=, their first deploy requests submitted. Secrets need confirmSecrets=true. Secret values are never returned.");
    }

    private static async Task<Results<Ok<ComposePlan>, Created<ImportResult>, ProblemHttpResult, ValidationProblem>> ImportAsync(
        string team, HttpRequest request, ClaimsPrincipal user, ComposeImport import,
        bool? dryRun, string? environment, string? services, bool? confirmSecrets, CancellationToken cancellationToken)
    {
        var text = await ReadFileAsync(request, cancellationToken);
        var file = text is null ? ComposeReader.TooBig() : ComposeReader.Read(text);
        if (!file.Succeeded)
        {
            return TypedResults.ValidationProblem(file.FieldErrors, title: "The compose file is refused: nothing was imported.");
        }

        var plan = file.Value!.Plan;
        if (dryRun == true)
        {
            return TypedResults.Ok(plan);
        }

        var chosen = string.IsNullOrWhiteSpace(services)
            ? plan.Services.Select(s => s.Name).ToList()
            : [.. services.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        var confirmed = confirmSecrets == true
            ? plan.Services.SelectMany(s => s.SecretKeys.Select(k => ImportChoice.SecretId(s.Name, k))).ToList()
            : [];
        var outcome = await import.ImportAsync(user, team, file.Value, new ImportChoice(chosen, string.IsNullOrWhiteSpace(environment) ? null : environment.Trim(), confirmed), cancellationToken);
        if (outcome.Kind == OutcomeKind.Invalid)
        {
            return TypedResults.ValidationProblem(outcome.FieldErrors, title: outcome.Message);
        }

        return outcome.Succeeded ? TypedResults.Created($"/services?team={team}", outcome.Value) : RequestsApi.Problem(outcome);
    }

    /// <summary>The file as text, or null when it is over <see cref="ComposeReader.MaxBytes"/> (read no further than that).</summary>
    private static async Task<string?> ReadFileAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > ComposeReader.MaxBytes + 64 * 1024)
        {
            return null;
        }

        Stream body = request.Body;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            if (form.Files.GetFile("file") is not { } upload)
            {
                return "";
            }

            if (upload.Length > ComposeReader.MaxBytes)
            {
                return null;
            }

            body = upload.OpenReadStream();
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > ComposeReader.MaxBytes)
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
