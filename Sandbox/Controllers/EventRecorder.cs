using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// Writes core v1 Events the way client-go's recorder does: one Event per (object, reason, message, source),
/// repeated occurrences raise its count and lastTimestamp instead of adding Events, and old Events expire.
/// </summary>
internal sealed class EventRecorder(ClusterStore store)
{
    private readonly Dictionary<string, string> names = [];
    private long sequence;

    public void Normal(JsonObject involved, string reason, string message, string component, string? host = null, string? fieldPath = null) =>
        Record(involved, "Normal", reason, message, component, host, fieldPath);

    public void Warning(JsonObject involved, string reason, string message, string component, string? host = null, string? fieldPath = null) =>
        Record(involved, "Warning", reason, message, component, host, fieldPath);

    public void Record(JsonObject involved, string type, string reason, string message, string component, string? host, string? fieldPath)
    {
        var now = store.Time.GetUtcNow();
        var stamp = ObjectFields.Timestamp(now);
        // Events about cluster-scoped objects (nodes) live in "default", as the real recorder puts them.
        var ns = involved.Namespace() is { Length: > 0 } n ? n : "default";
        var aggregationKey = string.Join('\u0001', involved.Uid(), fieldPath, type, reason, message, component, host);

        if (names.TryGetValue(aggregationKey, out var existingName) && store.Get(ResourceTypes.Events, ns, existingName) is { } existing)
        {
            existing["count"] = (existing.Int("count") ?? 1) + 1;
            existing["lastTimestamp"] = stamp;
            store.Update(ResourceTypes.Events, existing);
            return;
        }

        // Named like the real ones: the object's name and the time in hex nanoseconds, kept unique by a sequence.
        var nanos = (now - DateTimeOffset.UnixEpoch).Ticks * 100 + Interlocked.Increment(ref this.sequence);
        var name = $"{involved.Name()}.{nanos.ToString("x", CultureInfo.InvariantCulture)}";
        var involvedObject = new JsonObject
        {
            ["kind"] = involved.Text("kind"),
            ["namespace"] = involved.Namespace() is { Length: > 0 } ins ? ins : null,
            ["name"] = involved.Name(),
            ["uid"] = involved.Uid(),
            ["apiVersion"] = involved.Text("apiVersion"),
            ["resourceVersion"] = involved.Text("metadata", "resourceVersion"),
        };
        if (fieldPath is not null)
        {
            involvedObject["fieldPath"] = fieldPath;
        }

        foreach (var empty in involvedObject.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            involvedObject.Remove(empty);
        }

        var source = new JsonObject { ["component"] = component };
        if (host is not null)
        {
            source["host"] = host;
        }

        var evt = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["involvedObject"] = involvedObject,
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = source,
            ["firstTimestamp"] = stamp,
            ["lastTimestamp"] = stamp,
            ["count"] = 1,
            ["type"] = type,
            ["eventTime"] = null,
            ["reportingComponent"] = component,
            ["reportingInstance"] = host ?? "",
        };
        try
        {
            store.Create(ResourceTypes.Events, evt);
            names[aggregationKey] = name;
        }
        catch (StoreException e) when (e.Code == 404)
        {
            // The namespace is being deleted: its events go with it.
        }
    }

    /// <summary>Deletes Events whose last occurrence is older than <paramref name="timeToLive"/>.</summary>
    public void Expire(TimeSpan timeToLive)
    {
        var cutoff = store.Time.GetUtcNow() - timeToLive;
        foreach (var evt in store.List(ResourceTypes.Events, null))
        {
            var last = ObjectFields.ParseTime(evt.Text("lastTimestamp")) ?? ObjectFields.ParseTime(evt.Text("eventTime")) ?? evt.CreationTime();
            if (last >= cutoff)
            {
                continue;
            }

            try { store.Delete(ResourceTypes.Events, evt.Namespace(), evt.Name()); }
            catch (StoreException e) when (e.Code == 404) { }
        }
        var live = store.List(ResourceTypes.Events, null).Select(e => e.Name()).ToHashSet(StringComparer.Ordinal);
        foreach (var key in names.Where(p => !live.Contains(p.Value)).Select(p => p.Key).ToList())
        {
            names.Remove(key);
        }
    }
}
