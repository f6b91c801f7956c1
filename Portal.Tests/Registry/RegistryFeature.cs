using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Registry;

namespace Portal.Tests.Registry;

/// <summary>
/// The registry feature exactly as <c>AddRegistry</c> composes it, from settings, with a fake clock, every log line
/// captured (at Trace) and every HTTP request the registry client sends recorded.
/// </summary>
public sealed class RegistryFeature : IAsyncDisposable
{
    private readonly WebApplication app;

    private RegistryFeature(WebApplication app, FakeTimeProvider time, RequestLog requests, CapturedLogs logs)
    {
        this.app = app;
        Time = time;
        Requests = requests;
        Logs = logs;
    }

    public FakeTimeProvider Time { get; }

    public RequestLog Requests { get; }

    public CapturedLogs Logs { get; }

    public ImageCatalog Catalog => app.Services.GetRequiredService<ImageCatalog>();

    /// <summary>A registry client as the HTTP client factory makes it (typed client, same handlers).</summary>
    public RegistryClient Client => app.Services.GetRequiredService<RegistryClient>();

    /// <summary>The first configured registry, as bound from the settings.</summary>
    public RegistryEndpoint Registry => app.Services.GetRequiredService<IOptions<RegistryOptions>>().Value.Registries[0];

    public static RegistryFeature Create(params (string Key, string? Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Only the test's settings: no appsettings.json, no Registries__0__... from the machine's environment.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var requests = new RequestLog();
        var logs = new CapturedLogs();
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.AddRegistry();
        builder.Services.AddHttpClient<RegistryClient>().AddHttpMessageHandler(() => new RecordingHandler(requests));
        return new RegistryFeature(builder.Build(), time, requests, logs);
    }

    /// <summary>Settings for one registry under <c>Registries:0</c>.</summary>
    public static (string, string?)[] OneRegistry(Uri url, string? username = null, string? password = null, string? host = null, string name = "local") =>
    [
        ("Registries:0:Name", name),
        ("Registries:0:Url", url.ToString()),
        ("Registries:0:Username", username),
        ("Registries:0:Password", password),
        ("Registries:0:Host", host),
    ];

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private sealed class RecordingHandler(RequestLog log) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            log.Add($"{request.Method} {request.RequestUri!.PathAndQuery}");
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>Requests as "METHOD /path?query", in the order sent.</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<string> requests = new();

    public IReadOnlyList<string> All => [.. requests];

    public int Count(string contains) => requests.Count(r => r.Contains(contains, StringComparison.Ordinal));

    internal void Add(string request) => requests.Enqueue(request);
}

/// <summary>Every log line with its exception, as an operator would see them.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
