using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portal.Tests.Infrastructure;

/// <summary>Every log line the app writes, formatted with its arguments and exception, for "never logged" checks.</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> lines = new();
    private IExternalScopeProvider? scopes;

    public IReadOnlyCollection<string> Lines => lines;

    public string All => string.Join('\n', lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    // Scopes that are key/value lists (e.g. RequestId) are appended as "{key=value}".
    private string Scopes()
    {
        var text = new System.Text.StringBuilder();
        scopes?.ForEachScope(
            (scope, builder) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        builder.Append($" {{{key}={value}}}");
                    }
                }
            },
            text);
        return text.ToString();
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}{owner.Scopes()}");
    }
}
