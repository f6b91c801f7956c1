namespace Portal.Requests;

/// <summary>
/// Tells live pages (lists, the approvals badge, a request's page) that a request changed. Subscribers get the request id
/// and re-read what they show; the notifier carries no request data, so nothing secret can travel through it.
/// </summary>
public sealed class RequestNotifier
{
    private readonly Lock gate = new();
    private readonly List<Func<int, Task>> handlers = [];

    public IDisposable Subscribe(Func<int, Task> handler)
    {
        lock (gate)
        {
            handlers.Add(handler);
        }

        return new Subscription(this, handler);
    }

    public async Task NotifyAsync(int requestId)
    {
        Func<int, Task>[] current;
        lock (gate)
        {
            current = [.. handlers];
        }

        foreach (var handler in current)
        {
            try
            {
                await handler(requestId);
            }
            catch (Exception)
            {
                // A page that went away mid-notification must not fail the change that was already saved.
            }
        }
    }

    private sealed class Subscription(RequestNotifier notifier, Func<int, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (notifier.gate)
            {
                notifier.handlers.Remove(handler);
            }
        }
    }
}
