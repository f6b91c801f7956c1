using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;

namespace SelfService.Cli;

/// <summary>
/// The portal's REST API with a personal access token. Every failure becomes a <see cref="CliException"/> with a
/// message that says what went wrong and with which URL, and never contains the token.
/// </summary>
public sealed class PortalClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly HttpClient http;
    private readonly string token;

    public PortalClient(Uri baseAddress, string token, TimeSpan requestTimeout)
    {
        BaseAddress = baseAddress;
        this.token = token;
        http = new HttpClient { BaseAddress = baseAddress, Timeout = requestTimeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("selfservice-cli");
    }

    public Uri BaseAddress { get; }

    public string Token => token;

    public Uri PageUrl(string page) => new(BaseAddress, page);

    public Task<(T Value, string Json)> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    public Task<(T Value, string Json)> PostAsync<T>(string path, object body, CancellationToken cancellationToken) =>
        SendAsync<T>(HttpMethod.Post, path, body, cancellationToken);

    /// <summary>The value and the JSON it came from, so that <c>--output json</c> prints what the portal said.</summary>
    private async Task<(T Value, string Json)> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        using var response = await SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response.StatusCode, text, path);
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("empty body");
            return (value, text);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.ServerError, $"The portal at {BaseAddress} answered {path} with something that is not the expected JSON ({e.Message}). Is SELFSERVICE_URL the portal's address?");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Network, $"The portal at {BaseAddress} did not answer within {http.Timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            throw NetworkFailure(BaseAddress, e);
        }
    }

    /// <summary>Why a connection to <paramref name="url"/> failed, in words: refused, not resolved, TLS, or the raw reason.</summary>
    public static CliException NetworkFailure(Uri url, Exception e)
    {
        var socket = Inner<SocketException>(e);
        var reason = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused (is the portal running, and is the port right?)",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"the host name '{url.Host}' does not resolve (DNS)",
            SocketError.TimedOut => "the connection timed out",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "the network or host is unreachable",
            _ when Inner<AuthenticationException>(e) is { } tls => $"the TLS handshake failed ({tls.Message})",
            _ => (socket?.Message ?? e.Message).TrimEnd('.'),
        };
        return new CliException(ExitCodes.Network, $"Cannot reach the portal at {url}: {reason}.");
    }

    /// <summary>The error a non-success answer means, with the ProblemDetails' title, detail and field messages.</summary>
    public CliException Failure(HttpStatusCode status, string body, string path)
    {
        var problem = Problem.Parse(body);
        var code = (int)status;
        return status switch
        {
            HttpStatusCode.Unauthorized => new CliException(ExitCodes.Unauthorized,
                $"The portal at {BaseAddress} refused the token (401): it is wrong, expired or revoked. Create a new one under Access tokens in the portal and set SELFSERVICE_TOKEN."),
            HttpStatusCode.Forbidden => new CliException(ExitCodes.Forbidden, $"Not allowed (403): {problem.Describe("you may not do this")}"),
            HttpStatusCode.NotFound => new CliException(ExitCodes.NotFound, $"Not found (404): {problem.Describe($"{path} does not exist on {BaseAddress}")}"),
            HttpStatusCode.Conflict => new CliException(ExitCodes.Conflict, $"Conflict (409): {problem.Describe("the change does not fit the current state")}"),
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => new CliException(ExitCodes.Invalid, problem.DescribeFields(code)),
            _ when code >= 500 => new CliException(ExitCodes.ServerError, $"The portal answered {code}: {problem.Describe("server error")}"),
            _ => new CliException(ExitCodes.ServerError, $"The portal answered {code}: {problem.Describe("unexpected answer")}"),
        };
    }

    public void Dispose() => http.Dispose();

    private static T? Inner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The parts of an RFC 9457 ProblemDetails the CLI shows.</summary>
    private sealed record Problem(string? Title, string? Detail, IReadOnlyDictionary<string, string[]> Errors)
    {
        public static Problem Parse(string body)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                var errors = new Dictionary<string, string[]>();
                if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in fields.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? [.. field.Value.EnumerateArray().Select(m => m.ToString())]
                            : [field.Value.ToString()];
                    }
                }

                return new Problem(Text(root, "title"), Text(root, "detail"), errors);
            }
            catch (JsonException)
            {
                return new Problem(null, null, new Dictionary<string, string[]>());
            }
        }

        // Titles that only repeat the status code add nothing before the detail.
        private static readonly HashSet<string> GenericTitles = new(StringComparer.OrdinalIgnoreCase) { "Not found", "Not allowed", "Forbidden", "Conflict", "Bad request", "Unauthorized" };

        public string Describe(string fallback) => (Title, Detail) switch
        {
            ({ } title, { } detail) when !GenericTitles.Contains(title) && !detail.StartsWith(title, StringComparison.Ordinal) => $"{title}. {detail}",
            (_, { } detail) => detail,
            ({ } title, null) => title,
            _ => fallback,
        };

        public string DescribeFields(int code)
        {
            var text = new StringBuilder($"The portal refused the input ({code}): {Title ?? "some fields are not valid"}");
            if (Errors.Count == 0 && Detail is not null)
            {
                text.Append($". {Detail}");
            }

            foreach (var (field, messages) in Errors)
            {
                foreach (var message in messages)
                {
                    text.Append($"{Environment.NewLine}  {field}: {message}");
                }
            }

            return text.ToString();
        }

        private static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
    }
}
