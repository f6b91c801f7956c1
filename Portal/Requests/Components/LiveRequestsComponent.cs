using Microsoft.AspNetCore.Components;
using Portal.Components.Shared;

namespace Portal.Requests.Components;

/// <summary>
/// A component that re-reads what it shows when a deployment request it follows changes (one request, a service's, a
/// team's inbox...): it is woken for those only. The subscription ends with the component.
/// </summary>
public abstract class LiveRequestsComponent : LiveComponent
{
    private IDisposable? subscription;
    private HashSet<RequestTopic> followed = [];

    [Inject]
    private RequestNotifier Notifier { get; set; } = default!;

    /// <summary>Runs <paramref name="refresh"/> on the component's dispatcher for every change of <paramref name="topic"/>, then re-renders.</summary>
    protected void FollowRequests(RequestTopic topic, Func<RequestChanged, Task> refresh) => FollowRequests([topic], refresh);

    /// <summary>As above for several topics; calling it again with other topics follows those instead.</summary>
    protected void FollowRequests(IReadOnlyCollection<RequestTopic> topics, Func<RequestChanged, Task> refresh)
    {
        if (subscription is not null && followed.SetEquals(topics))
        {
            return;
        }

        subscription?.Dispose();
        followed = [.. topics];
        subscription = Notifier.Subscribe(topics, change => RefreshLater(() => refresh(change)));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            subscription?.Dispose();
        }

        base.Dispose(disposing);
    }
}
