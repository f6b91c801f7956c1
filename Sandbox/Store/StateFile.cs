using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Store;

/// <summary>
/// The store's objects as one JSON file, rewritten shortly after changes so an embedded cluster survives restarts.
/// </summary>
internal sealed class StateFile : IDisposable
{
    internal sealed record State(long ResourceVersion, IReadOnlyList<(ResourceType Type, JsonObject Object)> Objects);

    private readonly string _path;
    private readonly TimeSpan _delay;
    private readonly Func<State> _snapshot;
    private readonly object _gate = new();
    private readonly object _writing = new();
    private readonly Timer _timer;
    private bool _pending;
    private bool _disposed;

    public StateFile(string path, TimeSpan delay, Func<State> snapshot)
    {
        _path = Path.GetFullPath(path);
        _delay = delay;
        _snapshot = snapshot;
        // Wall-clock timer on purpose: persistence follows real time even when the simulation's clock is fake.
        _timer = new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public State? Load()
    {
        if (!File.Exists(_path)) return null;
        var root = JsonNode.Parse(File.ReadAllText(_path))!.AsObject();
        var objects = new List<(ResourceType, JsonObject)>();
        foreach (var entry in root["objects"]!.AsArray())
        {
            var obj = entry!.AsObject();
            var type = ResourceTypes.FindByKind((string?)obj["apiVersion"] ?? "", (string?)obj["kind"] ?? "");
            if (type is not null) objects.Add((type, obj.DeepClone().AsObject()));
        }
        return new State((long?)root["resourceVersion"] ?? 0, objects);
    }

    /// <summary>Called under the store lock, so it only arms the timer.</summary>
    public void MarkChanged()
    {
        lock (_gate)
        {
            if (_pending || _disposed) return;
            _pending = true;
            _timer.Change(_delay, Timeout.InfiniteTimeSpan);
        }
    }

    public void Flush()
    {
        // MarkChanged runs under the store lock and takes _gate, so the snapshot (which takes the store lock)
        // must be taken without holding _gate; _writing keeps two flushes from interleaving.
        lock (_writing)
        {
            lock (_gate)
            {
                if (!_pending) return;
                _pending = false;
            }
            var state = _snapshot();
            var root = new JsonObject
            {
                ["resourceVersion"] = state.ResourceVersion,
                ["objects"] = new JsonArray([.. state.Objects.Select(o => (JsonNode)o.Object)]),
            };
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            // The state holds Secrets: owner-only, like the CA key and the token beside it.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, _path, overwrite: true);
        }
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _timer.Dispose();
        Flush();
    }
}
