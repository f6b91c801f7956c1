using Microsoft.AspNetCore.Components;

namespace Portal.Components.Shared;

/// <summary>
/// A component that follows something that changes elsewhere (requests, a rollout, the cluster). Subclasses subscribe to
/// a singleton notifier, hand each change to <see cref="RefreshLater"/>, and end their subscriptions in
/// <see cref="Dispose(bool)"/>.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    /// <summary>
    /// Queues <paramref name="refresh"/> and a re-render on the component's dispatcher and returns at once: a slow page in
    /// someone else's browser must not hold up the change being announced. Failures go to the component's error boundary.
    /// </summary>
    protected Task RefreshLater(Func<Task> refresh)
    {
        _ = InvokeAsync(async () =>
        {
            try
            {
                await refresh();
                StateHasChanged();
            }
            catch (Exception e)
            {
                await DispatchExceptionAsync(e);
            }
        });
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
