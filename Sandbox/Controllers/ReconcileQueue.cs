namespace Sandbox.Controllers;

/// <summary>What to reconcile: a controller and the object it looks at.</summary>
internal readonly record struct WorkItem(string Controller, string Namespace, string Name)
{
    public override string ToString() => $"{Controller} {ObjectFields.Key(Namespace, Name)}";
}

/// <summary>
/// One worker reconciling items one at a time, in the order they were asked for, each item at most once in the
/// queue (like client-go's workqueue). Delayed items wait on timers of the cluster's <see cref="TimeProvider"/>, so a
/// fake clock drives them. Running everything on one worker keeps controllers free of races with each other;
/// <see cref="WhenIdle"/> lets tests wait until every consequence of a change has been worked through.
/// </summary>
internal sealed class ReconcileQueue : IDisposable
{
    private readonly object gate = new();
    private readonly Queue<WorkItem> queue = new();
    private readonly HashSet<WorkItem> queued = [];
    private readonly Dictionary<WorkItem, (DateTimeOffset Due, ITimer Timer)> delayed = [];
    private readonly Dictionary<WorkItem, int> failures = [];
    private readonly SemaphoreSlim signal = new(0);
    private readonly CancellationTokenSource stopping = new();
    private readonly TimeProvider time;
    private readonly Action<WorkItem> reconcile;
    private readonly Action<WorkItem, Exception> failed;
    private TaskCompletionSource? idle;
    private TaskCompletionSource queueDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool working;
    private int outsideWork;
    private Thread? worker;

    public ReconcileQueue(TimeProvider time, Action<WorkItem> reconcile, Action<WorkItem, Exception> failed)
    {
        this.time = time;
        this.reconcile = reconcile;
        this.failed = failed;
    }

    /// <summary>
    /// Starts the worker on a thread of its own, as the real controllers run in a process of their own: their work does
    /// not queue on the thread pool ahead of the API server's requests and watch streams (nor a client's in the same
    /// process).
    /// </summary>
    public void Start()
    {
        lock (gate)
        {
            if (this.worker is not null)
            {
                return;
            }

            this.worker = new Thread(Run) { IsBackground = true, Name = "Sandbox controllers" };
        }
        this.worker.Start();
    }

    public void Add(WorkItem item)
    {
        lock (gate)
        {
            if (stopping.IsCancellationRequested || !this.queued.Add(item))
            {
                return;
            }

            this.queue.Enqueue(item);
        }
        this.signal.Release();
    }

    /// <summary>Adds the item once <paramref name="delay"/> has passed; an earlier pending request for it wins.</summary>
    public void AddAfter(WorkItem item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }
        var due = this.time.GetUtcNow() + delay;
        lock (gate)
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            if (delayed.TryGetValue(item, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }

                pending.Timer.Dispose();
            }
            var timer = this.time.CreateTimer(_ => Fire(item, due), null, delay, Timeout.InfiniteTimeSpan);
            delayed[item] = (due, timer);
        }
    }

    /// <summary>
    /// Counts <paramref name="work"/> as busy until it finishes, then runs <paramref name="then"/> (usually an Add):
    /// for asynchronous checks such as a registry lookup, so <see cref="WhenIdle"/> waits for them too.
    /// </summary>
    public void Track(Task work, Action then)
    {
        lock (gate)
        {
            outsideWork++;
        }

        work.ContinueWith(_ =>
        {
            then();
            lock (gate)
            {
                outsideWork--;
            }

            CheckIdle();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Completes when nothing is queued or being worked on (timers still waiting do not count), nor, unless
    /// <paramref name="includeOutsideWork"/> is false, tracked outside work such as a registry lookup.
    /// </summary>
    public async Task WhenIdle(bool includeOutsideWork = true)
    {
        while (true)
        {
            Task idle;
            lock (gate)
            {
                if (this.queue.Count == 0 && !working && (!includeOutsideWork || outsideWork == 0))
                {
                    return;
                }

                this.idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                idle = this.idle.Task;
            }
            if (includeOutsideWork)
            {
                await idle.ConfigureAwait(false);
                return;
            }
            // Outside work keeps the full idle signal from coming: look again whenever the queue empties.
            await Task.WhenAny(idle, queueDrained.Task).ConfigureAwait(false);
            lock (gate)
            {
                if (queueDrained.Task.IsCompleted)
                {
                    queueDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            stopping.Cancel();
            foreach (var (_, pending) in delayed)
            {
                pending.Timer.Dispose();
            }

            delayed.Clear();
            this.queue.Clear();
            this.queued.Clear();
        }
        this.worker?.Join(TimeSpan.FromSeconds(5));
        this.idle?.TrySetResult();
        stopping.Dispose();
    }

    private bool IsIdleLocked => this.queue.Count == 0 && !working && outsideWork == 0;

    private void Fire(WorkItem item, DateTimeOffset due)
    {
        lock (gate)
        {
            if (!delayed.TryGetValue(item, out var pending) || pending.Due != due)
            {
                return;
            }

            delayed.Remove(item);
            pending.Timer.Dispose();
        }
        Add(item);
    }

    private void Run()
    {
        var token = stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try { this.signal.Wait(token); }
            catch (OperationCanceledException) { return; }
            WorkItem item;
            lock (gate)
            {
                if (!this.queue.TryDequeue(out item))
                {
                    continue;
                }

                this.queued.Remove(item);
                working = true;
            }
            try
            {
                this.reconcile(item);
                lock (gate)
                {
                    this.failures.Remove(item);
                }
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                Retry(item, e);
            }
            finally
            {
                lock (gate)
                {
                    working = false;
                }

                CheckIdle();
            }
        }
    }

    // Rate-limited retries as the real controllers' workqueues do: a conflict is retried at once a few times
    // (someone else wrote first; the next read sees it), anything else backs off exponentially up to a minute.
    private void Retry(WorkItem item, Exception error)
    {
        int failures;
        lock (gate)
        {
            failures = this.failures[item] = this.failures.GetValueOrDefault(item) + 1;
        }

        var conflict = error is Store.StoreException { Code: 409 or 404 };
        if (!conflict || failures > 5)
        {
            this.failed(item, error);
        }

        if (conflict && failures <= 5)
        {
            Add(item);
            return;
        }
        var delay = TimeSpan.FromMilliseconds(Math.Min(60_000, 100 * Math.Pow(2, Math.Min(failures, 10))));
        AddAfter(item, delay);
    }

    private void CheckIdle()
    {
        TaskCompletionSource? idle = null;
        TaskCompletionSource? drained = null;
        lock (gate)
        {
            if (IsIdleLocked)
            {
                idle = this.idle;
                this.idle = null;
            }
            if (this.queue.Count == 0 && !working)
            {
                drained = queueDrained;
            }
        }
        idle?.TrySetResult();
        drained?.TrySetResult();
    }
}
