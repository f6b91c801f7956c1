using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Portal.Rollouts;

namespace Portal.Tests.Rollouts;

/// <summary>The tracker's publish pacing: the first change at once, what follows within the window merged into its latest state.</summary>
public sealed class MergeWindowTests
{
    private static readonly TimeSpan Length = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task FirstChangeAfterAQuietSpellIsPublishedWithoutWaitingForTheMergeWindow()
    {
        await using var run = Run.Start();

        run.Change(1);

        // The clock never moves: only a step taken at once can have seen the change.
        await run.UntilAsync(() => run.Seen.SequenceEqual([1]));
    }

    [Fact]
    public async Task BurstWithinTheWindowIsMergedIntoOneStepShowingTheLatestState()
    {
        await using var run = Run.Start();
        run.Change(1);
        await run.UntilStepsDoneAsync(1);

        run.Change(2);
        run.Change(3);
        run.Change(4);
        // The window must have set its timer before the clock moves, or the timer would start after the move.
        await run.UntilAsync(() => run.Holding);
        run.Clock.Advance(Length - TimeSpan.FromMilliseconds(1));
        await run.StaysAsync(() => run.Seen.Count == 1);
        run.Clock.Advance(TimeSpan.FromMilliseconds(1));

        await run.UntilAsync(() => run.Seen.SequenceEqual([1, 4]));
        await run.StaysAsync(() => run.Seen.Count == 2);
    }

    [Fact]
    public async Task ChangeAfterTheWindowHasPassedIsPublishedAtOnceAgain()
    {
        await using var run = Run.Start();
        run.Change(1);
        await run.UntilStepsDoneAsync(1);

        run.Clock.Advance(Length);
        run.Change(2);

        await run.UntilAsync(() => run.Seen.SequenceEqual([1, 2]));
    }

    [Fact]
    public async Task StepThatPublishedNothingOpensNoWindow()
    {
        await using var run = Run.Start();
        run.Change(1);
        await run.UntilStepsDoneAsync(1);
        run.Clock.Advance(Length);

        // A poke with nothing new (the same state): a step runs, publishes nothing, and the next change is not held back.
        run.Change(1);
        await run.UntilStepsDoneAsync(2);
        run.Change(5);

        await run.UntilAsync(() => run.Seen.SequenceEqual([1, 5]));
    }

    [Fact]
    public async Task UrgentChangeInsideTheWindowGoesOutAtOnceWithWhatWasWaiting()
    {
        await using var run = Run.Start();
        run.Change(1);
        await run.UntilAsync(() => run.Seen.Count == 1);
        run.Change(2);
        await run.StaysAsync(() => run.Seen.Count == 1);

        // A Deployment change: the clock never moves, yet the waiting step runs now and shows the latest state.
        run.Change(3, urgent: true);

        await run.UntilAsync(() => run.Seen.SequenceEqual([1, 3]));
    }

    /// <summary>A window whose step publishes the current value when it differs from the last one published.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly CancellationTokenSource stopping = new();
        private readonly MergeWindow window;
        private readonly ConcurrentQueue<int> seen = new();
        private readonly Task loop;
        private int current;

        private Run()
        {
            window = new MergeWindow(Length, Clock);
            loop = window.RunAsync(StepAsync, _ => true, stopping.Token);
        }

        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        public List<int> Seen => [.. seen];

        public bool Holding => window.Holding;

        /// <summary>Until the window has recorded the outcome of <paramref name="count"/> steps (when it published, too).</summary>
        public Task UntilStepsDoneAsync(long count) => UntilAsync(() => window.StepsDone >= count);

        public static Run Start() => new();

        public void Change(int value, bool urgent = false)
        {
            Volatile.Write(ref current, value);
            if (urgent)
            {
                window.PokeNow();
            }
            else
            {
                window.Poke();
            }
        }

        public async Task UntilAsync(Func<bool> condition)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The condition did not hold in time; published: [{string.Join(", ", Seen)}]");
                await Task.Delay(5);
            }
        }

        /// <summary>Real time passes (the fake clock does not): the condition must keep holding.</summary>
        public async Task StaysAsync(Func<bool> condition)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromMilliseconds(300))
            {
                Assert.True(condition(), $"published: [{string.Join(", ", Seen)}]");
                await Task.Delay(10);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stopping.CancelAsync();
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }

            stopping.Dispose();
        }

        private Task<StepOutcome> StepAsync(CancellationToken cancellationToken)
        {
            var value = Volatile.Read(ref current);
            if (seen.LastOrDefault() == value)
            {
                return Task.FromResult(StepOutcome.Unchanged);
            }

            seen.Enqueue(value);
            return Task.FromResult(StepOutcome.Published);
        }
    }
}
