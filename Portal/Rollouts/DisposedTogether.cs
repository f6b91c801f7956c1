namespace Portal.Rollouts;

/// <summary>Two subscriptions ended as one.</summary>
internal sealed class DisposedTogether(IDisposable first, IDisposable second) : IDisposable
{
    public void Dispose()
    {
        first.Dispose();
        second.Dispose();
    }
}
