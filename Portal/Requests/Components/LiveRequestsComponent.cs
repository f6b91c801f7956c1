using Microsoft.AspNetCore.Components;

namespace Portal.Requests.Components;

/// <summary>
/// A component that re-reads what it shows when a deployment request changes (lists, the approvals badge, a request's
/// page). The subscription ends with the component.
/// </summary>
public abstract class LiveRequestsComponent : ComponentBase, IDisposable
{
    private IDisposable? subscription;

    [Inject]
    private RequestNotifier Notifier { get; set; } = default!;

    /// <summary>Runs <paramref name="refresh"/> on the component's dispatcher for every changed request id, then re-renders.</summary>
    protected void FollowRequests(Func<int, Task> refresh) => subscription ??= Notifier.Subscribe(requestId =>
    {
        // Not awaited: a slow page in someone else's browser must not hold up the person whose change is announced.
        _ = InvokeAsync(async () =>
        {
            try
            {
                await refresh(requestId);
                StateHasChanged();
            }
            catch (Exception e)
            {
                await DispatchExceptionAsync(e);
            }
        });
        return Task.CompletedTask;
    });

    public void Dispose()
    {
        subscription?.Dispose();
        GC.SuppressFinalize(this);
    }
}
