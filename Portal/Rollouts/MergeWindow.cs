namespace Portal.Rollouts;

/// <summary>
/// Runs a step after each poke, one at a time: at once when nothing was published during the last
/// <see cref="Length"/> (the leading edge: a change after a quiet spell goes out without waiting), else when that window
/// ends, with every poke received meanwhile merged into that one step, which then sees the latest state. A burst of
/// watch events thus costs one publish per window, and no state waits longer than the window. An urgent poke
/// (<see cref="PokeNow"/>) cuts the wait short.
/// </summary>
internal sealed class MergeWindow
{
    private readonly SemaphoreSlim signal = new(0, 1);
    private readonly TimeProvider clock;
    private long publishedAt;
    private bool published;
    private int urgent;
    private TaskCompletionSource? hurry;
    private int holding;
    private long stepsDone;

    /// <param name="length">How long after a publish further changes are merged into one.</param>
    /// <param name="clock">The clock of the window: the real one in the portal (the merge is about real latency).</param>
    public MergeWindow(TimeSpan length, TimeProvider clock)
    {
        Length = length;
        this.clock = clock;
    }

    public TimeSpan Length { get; }

    /// <summary>Waiting for the window to end, its timer set on the clock (for tests that move a fake clock).</summary>
    internal bool Holding => Volatile.Read(ref holding) == 1;

    /// <summary>Steps finished, their outcome recorded (for tests that move a fake clock).</summary>
    internal long StepsDone => Volatile.Read(ref stepsDone);

    /// <summary>Something changed: a step is due (one step covers every poke before it starts).</summary>
    public void Poke()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A step is already due: it will see this change too.
        }
    }

    /// <summary>Something changed that must not wait for the window: the next step runs at once.</summary>
    public void PokeNow()
    {
        Interlocked.Exchange(ref urgent, 1);
        Volatile.Read(ref hurry)?.TrySetResult();
        Poke();
    }

    /// <summary>
    /// Calls <paramref name="step"/> after each poke until it returns <see cref="StepOutcome.Done"/> or
    /// <paramref name="cancellationToken"/> fires. A step that returns <see cref="StepOutcome.Published"/> opens a window.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task<StepOutcome>> step, Func<Exception, bool> failed, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await signal.WaitAsync(cancellationToken);
            var wait = Remaining();
            if (wait > TimeSpan.Zero && Volatile.Read(ref urgent) == 0)
            {
                var hurried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Interlocked.Exchange(ref hurry, hurried);
                // Read after publishing the hurry: an urgent poke either sees it or is seen here.
                if (Volatile.Read(ref urgent) == 0)
                {
                    var windowEnds = Task.Delay(wait, clock, cancellationToken);
                    Volatile.Write(ref holding, 1);
                    await Task.WhenAny(windowEnds, hurried.Task);
                    Volatile.Write(ref holding, 0);
                }

                Interlocked.Exchange(ref hurry, null);
                cancellationToken.ThrowIfCancellationRequested();
                // Pokes during the wait are covered by the step that follows.
                signal.Wait(0, CancellationToken.None);
            }

            // A poke from here on (during the step) asks for another step.
            Interlocked.Exchange(ref urgent, 0);

            StepOutcome outcome;
            try
            {
                outcome = await step(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && failed(e))
            {
                continue;
            }

            if (outcome == StepOutcome.Done)
            {
                return;
            }

            if (outcome == StepOutcome.Published)
            {
                publishedAt = clock.GetTimestamp();
                published = true;
            }

            Interlocked.Increment(ref stepsDone);
        }
    }

    private TimeSpan Remaining()
    {
        if (!published)
        {
            return TimeSpan.Zero;
        }

        var since = clock.GetElapsedTime(publishedAt);
        return since >= Length ? TimeSpan.Zero : Length - since;
    }
}

/// <summary>What one step of a <see cref="MergeWindow"/> did.</summary>
internal enum StepOutcome
{
    /// <summary>Nothing new to say.</summary>
    Unchanged,

    /// <summary>A new state went out: changes in the next window are merged.</summary>
    Published,

    /// <summary>The end: no more steps.</summary>
    Done,
}
