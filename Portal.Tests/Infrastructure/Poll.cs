namespace Portal.Tests.Infrastructure;

/// <summary>
/// The one way tests wait for something the app does in the background: look again every <c>every</c> (50 ms) until
/// it holds, and fail with <c>what</c> when it has not within the time given (generous: the machine may be loaded).
/// </summary>
public static class Poll
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <returns>Whether the condition held; false only when <paramref name="failOnTimeout"/> is false.</returns>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan within, string what = "The condition did not hold in time.", bool failOnTimeout = true, TimeSpan? every = null)
    {
        using var timeout = new CancellationTokenSource(within);
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.False(failOnTimeout, what);
                return false;
            }

            await Task.Delay(every ?? DefaultInterval);
        }

        return true;
    }

    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan within, string what = "The condition did not hold in time.", bool failOnTimeout = true, TimeSpan? every = null) =>
        UntilAsync(() => Task.FromResult(condition()), within, what, failOnTimeout, every);

    /// <summary>Runs <paramref name="assertion"/> until it passes; its last failure is the test's failure.</summary>
    public static async Task UntilPassesAsync(Func<Task> assertion, TimeSpan within, TimeSpan? every = null)
    {
        using var timeout = new CancellationTokenSource(within);
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Xunit.Sdk.XunitException) when (!timeout.IsCancellationRequested)
            {
                await Task.Delay(every ?? DefaultInterval);
            }
        }
    }
}
