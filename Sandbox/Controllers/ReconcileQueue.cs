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
    private readonly object _gate = new();
    private readonly Queue<WorkItem> _queue = new();
    private readonly HashSet<WorkItem> _queued = [];
    private readonly Dictionary<WorkItem, (DateTimeOffset Due, ITimer Timer)> _delayed = [];
    private readonly Dictionary<WorkItem, int> _failures = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly Action<WorkItem> _reconcile;
    private readonly Action<WorkItem, Exception> _failed;
    private TaskCompletionSource? _idle;
    private TaskCompletionSource _queueDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _working;
    private int _outsideWork;
    private Task? _worker;

    public ReconcileQueue(TimeProvider time, Action<WorkItem> reconcile, Action<WorkItem, Exception> failed)
    {
        _time = time;
        _reconcile = reconcile;
        _failed = failed;
    }

    public void Start() => _worker ??= Task.Run(RunAsync);

    public void Add(WorkItem item)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || !_queued.Add(item)) return;
            _queue.Enqueue(item);
        }
        _signal.Release();
    }

    /// <summary>Adds the item once <paramref name="delay"/> has passed; an earlier pending request for it wins.</summary>
    public void AddAfter(WorkItem item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }
        var due = _time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested) return;
            if (_delayed.TryGetValue(item, out var pending))
            {
                if (pending.Due <= due) return;
                pending.Timer.Dispose();
            }
            var timer = _time.CreateTimer(_ => Fire(item, due), null, delay, Timeout.InfiniteTimeSpan);
            _delayed[item] = (due, timer);
        }
    }

    /// <summary>
    /// Counts <paramref name="work"/> as busy until it finishes, then runs <paramref name="then"/> (usually an Add):
    /// for asynchronous checks such as a registry lookup, so <see cref="WhenIdle"/> waits for them too.
    /// </summary>
    public void Track(Task work, Action then)
    {
        lock (_gate) _outsideWork++;
        work.ContinueWith(_ =>
        {
            then();
            lock (_gate) _outsideWork--;
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
            lock (_gate)
            {
                if (_queue.Count == 0 && !_working && (!includeOutsideWork || _outsideWork == 0)) return;
                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                idle = _idle.Task;
            }
            if (includeOutsideWork)
            {
                await idle.ConfigureAwait(false);
                return;
            }
            // Outside work keeps the full idle signal from coming: look again whenever the queue empties.
            await Task.WhenAny(idle, _queueDrained.Task).ConfigureAwait(false);
            lock (_gate)
            {
                if (_queueDrained.Task.IsCompleted) _queueDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested) return;
            _stopping.Cancel();
            foreach (var (_, pending) in _delayed) pending.Timer.Dispose();
            _delayed.Clear();
            _queue.Clear();
            _queued.Clear();
        }
        try { _worker?.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _idle?.TrySetResult();
        _stopping.Dispose();
    }

    private bool IsIdleLocked => _queue.Count == 0 && !_working && _outsideWork == 0;

    private void Fire(WorkItem item, DateTimeOffset due)
    {
        lock (_gate)
        {
            if (!_delayed.TryGetValue(item, out var pending) || pending.Due != due) return;
            _delayed.Remove(item);
            pending.Timer.Dispose();
        }
        Add(item);
    }

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try { await _signal.WaitAsync(token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            WorkItem item;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out item)) continue;
                _queued.Remove(item);
                _working = true;
            }
            try
            {
                _reconcile(item);
                lock (_gate) _failures.Remove(item);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                Retry(item, e);
            }
            finally
            {
                lock (_gate) _working = false;
                CheckIdle();
            }
        }
    }

    // Rate-limited retries as the real controllers' workqueues do: a conflict is retried at once a few times
    // (someone else wrote first; the next read sees it), anything else backs off exponentially up to a minute.
    private void Retry(WorkItem item, Exception error)
    {
        int failures;
        lock (_gate) failures = _failures[item] = _failures.GetValueOrDefault(item) + 1;
        var conflict = error is Store.StoreException { Code: 409 or 404 };
        if (!conflict || failures > 5) _failed(item, error);
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
        lock (_gate)
        {
            if (IsIdleLocked)
            {
                idle = _idle;
                _idle = null;
            }
            if (_queue.Count == 0 && !_working) drained = _queueDrained;
        }
        idle?.TrySetResult();
        drained?.TrySetResult();
    }
}
