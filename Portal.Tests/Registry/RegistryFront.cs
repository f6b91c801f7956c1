using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Portal.Tests.Registry;

/// <summary>
/// A pass-through in front of a real registry for what Debian's docker-registry 2.8 does not do: it ignores <c>n</c>
/// on the tag list (tag pagination came in distribution 3), and it always sends <c>Docker-Content-Digest</c>. The front
/// pages the real tag list by the OCI spec (sorted, <c>n</c> and <c>last</c>, a <c>Link: &lt;...&gt;; rel="next"</c>
/// header) and can drop the digest header. Everything else is forwarded unchanged.
/// </summary>
public sealed class RegistryFront : IAsyncDisposable
{
    private static readonly string[] ForwardedResponseHeaders = ["Docker-Content-Digest", "WWW-Authenticate", "Location"];

    private readonly Uri upstream;
    private readonly HttpClient http = new();
    private readonly WebApplication app;
    private readonly List<string> tagPageRequests = [];

    private RegistryFront(Uri upstream)
    {
        this.upstream = upstream;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Run(ForwardAsync);
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>The page size used when a client asks without <c>n</c>, and the most a page may hold.</summary>
    public int MaxPageSize { get; init; } = 1000;

    public bool DropsDigestHeader { get; init; }

    /// <summary>Path and query of every tag list page asked for.</summary>
    public IReadOnlyList<string> TagPageRequests
    {
        get
        {
            lock (tagPageRequests)
            {
                return [.. tagPageRequests];
            }
        }
    }

    public static async Task<RegistryFront> StartAsync(Uri upstream, int maxPageSize = 1000, bool dropsDigestHeader = false)
    {
        var front = new RegistryFront(upstream) { MaxPageSize = maxPageSize, DropsDigestHeader = dropsDigestHeader };
        await front.app.StartAsync();
        front.Url = new Uri(front.app.Urls.First());
        return front;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (context.Request.Method == "GET" && path.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            await PageTagsAsync(context, path);
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(upstream, path + context.Request.QueryString));
        foreach (var accept in context.Request.Headers.Accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await http.SendAsync(request);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        foreach (var name in ForwardedResponseHeaders.Where(n => !(DropsDigestHeader && n == "Docker-Content-Digest")))
        {
            if (response.Headers.TryGetValues(name, out var values))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        if (context.Request.Method != "HEAD")
        {
            await response.Content.CopyToAsync(context.Response.Body);
        }
    }

    private async Task PageTagsAsync(HttpContext context, string path)
    {
        lock (tagPageRequests)
        {
            tagPageRequests.Add(path + context.Request.QueryString);
        }

        using var response = await http.GetAsync(new Uri(upstream, path));
        if (!response.IsSuccessStatusCode)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            await response.Content.CopyToAsync(context.Response.Body);
            return;
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var name = body.RootElement.GetProperty("name").GetString();
        var all = body.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal).ToList();
        var n = int.TryParse(context.Request.Query["n"], out var asked) ? Math.Min(asked, MaxPageSize) : MaxPageSize;
        var last = context.Request.Query["last"].ToString();
        var rest = all.Where(t => string.CompareOrdinal(t, last) > 0).ToList();
        var page = rest.Take(n).ToList();
        if (rest.Count > page.Count)
        {
            context.Response.Headers.Link = $"<{path}?n={n}&last={Uri.EscapeDataString(page[^1])}>; rel=\"next\"";
        }

        await context.Response.WriteAsJsonAsync(new { name, tags = page });
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        http.Dispose();
    }
}
