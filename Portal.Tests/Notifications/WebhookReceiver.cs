using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Portal.Tests.Notifications;

/// <summary>One request a <see cref="WebhookReceiver"/> got, and what it answered.</summary>
public sealed record ReceivedHook(string Body, string? Signature, string? Timestamp, string? EventId, string? EventType, int Answered);

/// <summary>
/// A real HTTP listener on a loopback port standing in for a team's webhook endpoint. It answers 500 to the first
/// <see cref="FailFirst"/> requests (or all while <see cref="Down"/>), then 200, and keeps every request it got.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly CancellationTokenSource stop = new();
    private int seen;

    public WebhookReceiver()
    {
        // HttpListener needs a fixed port: take a free one from the OS, then listen on it.
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/hook/";
        listener.Prefixes.Add(Url);
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public int FailFirst { get; set; }

    public bool Down { get; set; }

    public ConcurrentQueue<ReceivedHook> Received { get; } = new();

    public IReadOnlyList<ReceivedHook> Accepted => [.. Received.Where(r => r.Answered == 200)];

    public void Dispose()
    {
        stop.Cancel();
        listener.Close();
        stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var status = Down || Interlocked.Increment(ref seen) <= FailFirst ? 500 : 200;
            Received.Enqueue(new ReceivedHook(
                body,
                context.Request.Headers["X-SelfService-Signature"],
                context.Request.Headers["X-SelfService-Timestamp"],
                context.Request.Headers["X-SelfService-Event-Id"],
                context.Request.Headers["X-SelfService-Event"],
                status));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }
}
