using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace Portal.Operations;

/// <summary>
/// What a caller gets back when something goes wrong. Under <c>/api</c> every 4xx and 5xx is a ProblemDetails (binding
/// errors name the field, 413 and 415 have a body); pages get the error and not-found pages. Exception details (stack
/// traces) appear only when <c>Portal:ShowExceptionDetails</c> is true, whatever the environment.
/// </summary>
public static partial class ErrorResponses
{
    /// <summary>The largest API request body: room for 1 MiB of secret values and the rest of a request.</summary>
    public const long MaxApiBodyBytes = 1024 * 1024 + 256 * 1024;

    public static void AddErrorResponses(this WebApplicationBuilder builder)
    {
        var showDetails = builder.Configuration.GetValue<bool>("Portal:ShowExceptionDetails");
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
            if (!showDetails)
            {
                context.ProblemDetails.Extensions.Remove("exception");
            }
        });
        // Binding failures throw, in every environment, so that the middleware below answers them with the field named.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // A misspelt field is an error, not silently ignored: CI scripts learn about typos at once.
        // Numbers are numbers ("replicas": "2" is refused, naming the field).
        builder.Services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(options =>
        {
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.Configure<CircuitOptions>(options => options.DetailedErrors = showDetails);
    }

    /// <summary>ProblemDetails for every API error, and the API's body limit (413).</summary>
    public static void UseApiErrors(this WebApplication app)
    {
        var showDetails = app.Configuration.GetValue<bool>("Portal:ShowExceptionDetails");
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/api"))
            {
                await next(context);
                return;
            }

            if (context.Request.ContentLength > MaxApiBodyBytes)
            {
                await WriteTooLargeAsync(context);
                return;
            }

            var body = new LimitedStream(context.Request.Body, MaxApiBodyBytes);
            context.Request.Body = body;
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted && !body.Exceeded)
            {
                var (field, problem) = Describe(e);
                await WriteAsync(context, e.StatusCode, TitleOf(e.StatusCode), field is null ? problem : $"{field}: {problem}",
                    field is null ? null : new Dictionary<string, string[]> { [field] = [problem] });
                return;
            }
            catch (Exception e) when (!context.Response.HasStarted && !showDetails && !body.Exceeded && !context.RequestAborted.IsCancellationRequested)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ErrorResponses))
                    .LogError(e, "Unhandled error answering {Method} {Path}", context.Request.Method, context.Request.Path);
                await WriteAsync(context, StatusCodes.Status500InternalServerError, "Server error", $"Something went wrong on the server. Quote the trace id {context.TraceIdentifier} when you report it.");
                return;
            }
            catch (Exception) when (body.Exceeded && !context.Response.HasStarted)
            {
                // Reading past the limit ended the request; answered below.
            }

            if (body.Exceeded && !context.Response.HasStarted)
            {
                await WriteTooLargeAsync(context);
                return;
            }

            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null && context.Response.ContentType is null)
            {
                await WriteAsync(context, context.Response.StatusCode, TitleOf(context.Response.StatusCode), DetailOf(context));
            }
        });
    }

    /// <summary>Pages: a friendly error page without exception details, and the not-found page for 404 and the like.</summary>
    public static void UsePageErrors(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>("Portal:ShowExceptionDetails"))
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        // The API and hubs keep their status codes and ProblemDetails.
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/hubs"))
            {
                context.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
            }

            return next(context);
        });
    }

    /// <summary>A JSON binding error as (field, what was wrong): <c>("imageTag", "expected a string")</c>.</summary>
    internal static (string? Field, string Problem) Describe(BadHttpRequestException exception)
    {
        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return (null, "Send the body as JSON with Content-Type: application/json.");
        }

        if (exception.InnerException is not JsonException json)
        {
            return exception.Message.Contains("was not provided from body", StringComparison.Ordinal) || exception.Message.Contains("body was empty", StringComparison.OrdinalIgnoreCase)
                ? (null, "The request needs a JSON body.")
                : (null, "The request could not be read.");
        }

        var field = FieldOf(json.Path);
        if (UnmappedMember().Match(json.Message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups["name"].Value;
            var named = field is null ? name : field.EndsWith(name, StringComparison.Ordinal) ? field : $"{field}.{name}";
            return (named, "is not a field of this request");
        }

        var expected = Expected(json.InnerException?.Message ?? "")
            ?? (ConvertedTo().Match(json.Message) is { Success: true } converted ? Expected(converted.Groups["type"].Value) : null);
        return (field, expected is null ? "is not valid JSON here" : $"expected {expected}");
    }

    private static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        // Dictionary keys with odd characters appear as $['key']: keep them readable.
        return field.Length > 200 ? field[..200] + "…" : field;
    }

    /// <summary>What the field takes, from the reader's message or the target type's name; null when neither says.</summary>
    private static string? Expected(string typeOrMessage)
    {
        var inner = NullableOf().Match(typeOrMessage) is { Success: true } nullable ? nullable.Groups["inner"].Value : typeOrMessage;
        return inner switch
        {
            _ when inner.Contains("as a string", StringComparison.Ordinal) || inner == "System.String" => "a string",
            _ when inner.Contains("as a number", StringComparison.Ordinal) || inner.Contains("Int32", StringComparison.Ordinal) || inner.Contains("Int64", StringComparison.Ordinal) => "a whole number",
            _ when inner.Contains("as a boolean", StringComparison.Ordinal) || inner == "System.Boolean" => "true or false",
            _ when inner.StartsWith("System.Collections.Generic.Dictionary", StringComparison.Ordinal) => "an object of string values",
            _ when inner.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) => "an array of strings",
            _ when inner.StartsWith("Portal.", StringComparison.Ordinal) => "an object",
            _ => null,
        };
    }

    private static string TitleOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad request",
        StatusCodes.Status401Unauthorized => "Not signed in",
        StatusCodes.Status403Forbidden => "Not allowed",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed",
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        >= 500 => "Server error",
        _ => "Request refused",
    };

    private static string DetailOf(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status401Unauthorized => "Send a personal access token: Authorization: Bearer pat_... (create one under Access tokens). It may be unknown, revoked or expired.",
        StatusCodes.Status403Forbidden => "You are not allowed to do this.",
        StatusCodes.Status404NotFound => $"There is no API endpoint {context.Request.Method} {context.Request.Path}.",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON with Content-Type: application/json.",
        _ => TitleOf(context.Response.StatusCode) + ".",
    };

    private static Task WriteTooLargeAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status413PayloadTooLarge, TitleOf(StatusCodes.Status413PayloadTooLarge), $"The API accepts request bodies of at most {MaxApiBodyBytes / 1024} KiB.");

    private static async Task WriteAsync(HttpContext context, int status, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        var problem = errors is null
            ? new ProblemDetails { Status = status, Title = title, Detail = detail }
            : new HttpValidationProblemDetails(errors) { Status = status, Title = title, Detail = detail };
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            await context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json");
        }
    }

    [GeneratedRegex(@"could not be converted to (?<type>[^ ]+?)\. Path:")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"\ASystem\.Nullable`1\[(?<inner>[^\]]+)\]\z")]
    private static partial Regex NullableOf();

    [GeneratedRegex(@"The JSON property '(?<name>[^']*)' could not be mapped")]
    private static partial Regex UnmappedMember();

    /// <summary>Counts what is read and stops at the limit, remembering that it did so the caller can answer 413.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long read;

        public bool Exceeded { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int bytes)
        {
            read += bytes;
            if (read > limit)
            {
                Exceeded = true;
                throw new BadHttpRequestException("The request body is too large.", StatusCodes.Status413PayloadTooLarge);
            }

            return bytes;
        }
    }
}
