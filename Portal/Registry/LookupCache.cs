using System.Collections.Concurrent;

namespace Portal.Registry;

/// <summary>
/// Answers kept for a while, by the clock of a <see cref="TimeProvider"/>, and shared while in flight: callers asking
/// the same question at the same time wait for one fetch. The fetch runs without the callers' cancellation, so that
/// one caller giving up does not fail the others; each caller still stops waiting when its own token fires.
/// </summary>
internal sealed class LookupCache<TKey, TValue>(TimeProvider time, Func<TValue, TimeSpan> lifetime, int capacity)
    where TKey : notnull
{
    private sealed class Entry(Func<Task<TValue>> fetch, DateTimeOffset startedAt)
    {
        private readonly Lazy<Task<TValue>> value = new(fetch, LazyThreadSafetyMode.ExecutionAndPublication);

        public DateTimeOffset StartedAt => startedAt;

        public Task<TValue> Value => value.Value;
    }

    private readonly ConcurrentDictionary<TKey, Entry> entries = new();

    public int Count => entries.Count;

    /// <param name="maxAge">The oldest answer the caller accepts; null takes the value's own lifetime.</param>
    public Task<TValue> GetAsync(TKey key, Func<Task<TValue>> fetch, TimeSpan? maxAge = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            if (entries.TryGetValue(key, out var existing))
            {
                if (IsFresh(existing, now, maxAge))
                {
                    return existing.Value.WaitAsync(cancellationToken);
                }

                var replacement = new Entry(fetch, now);
                if (entries.TryUpdate(key, replacement, existing))
                {
                    return replacement.Value.WaitAsync(cancellationToken);
                }
            }
            else
            {
                var added = new Entry(fetch, now);
                if (entries.TryAdd(key, added))
                {
                    PruneWhenFull(now);
                    return added.Value.WaitAsync(cancellationToken);
                }
            }
        }
    }

    private bool IsFresh(Entry entry, DateTimeOffset now, TimeSpan? maxAge)
    {
        var task = entry.Value;
        if (!task.IsCompleted)
        {
            return true;
        }

        // A fetch that threw is a bug or an outage the fetch did not turn into a result: ask again next time.
        if (!task.IsCompletedSuccessfully)
        {
            return false;
        }

        var age = now - entry.StartedAt;
        return age < lifetime(task.Result) && (maxAge is not { } limit || age < limit);
    }

    private void PruneWhenFull(DateTimeOffset now)
    {
        if (entries.Count <= capacity)
        {
            return;
        }

        foreach (var (key, entry) in entries)
        {
            if (!IsFresh(entry, now, maxAge: null))
            {
                entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            }
        }
    }
}
