using Microsoft.AspNetCore.Components;
using Portal.Components.Shared;

namespace Portal.Requests.Components;

/// <summary>
/// A component that re-reads what it shows when a deployment request changes (lists, the approvals badge, a request's
/// page). The subscription ends with the component.
/// </summary>
public abstract class LiveRequestsComponent : LiveComponent
{
    private IDisposable? subscription;

    [Inject]
    private RequestNotifier Notifier { get; set; } = default!;

    /// <summary>Runs <paramref name="refresh"/> on the component's dispatcher for every changed request id, then re-renders.</summary>
    protected void FollowRequests(Func<int, Task> refresh) => subscription ??= Notifier.Subscribe(requestId => RefreshLater(() => refresh(requestId)));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            subscription?.Dispose();
        }

        base.Dispose(disposing);
    }
}
