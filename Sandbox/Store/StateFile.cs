using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Store;

/// <summary>
/// The store's objects as one JSON file, rewritten shortly after changes so an embedded cluster survives restarts.
/// </summary>
internal sealed class StateFile : IDisposable
{
    internal sealed record State(long ResourceVersion, IReadOnlyList<(ResourceType Type, JsonObject Object)> Objects);

    private readonly string path;
    private readonly TimeSpan delay;
    private readonly Func<State> snapshot;
    private readonly object gate = new();
    private readonly object writing = new();
    private readonly Timer timer;
    private bool pending;
    private bool disposed;

    public StateFile(string path, TimeSpan delay, Func<State> snapshot)
    {
        this.path = Path.GetFullPath(path);
        this.delay = delay;
        this.snapshot = snapshot;
        // Wall-clock timer on purpose: persistence follows real time even when the simulation's clock is fake.
        this.timer = new Timer(_ => FlushInBackground(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public State? Load()
    {
        if (!File.Exists(this.path))
        {
            return null;
        }

        var root = JsonNode.Parse(File.ReadAllText(this.path))!.AsObject();
        var objects = new List<(ResourceType, JsonObject)>();
        foreach (var entry in root["objects"]!.AsArray())
        {
            var obj = entry!.AsObject();
            var type = ResourceTypes.FindByKind((string?)obj["apiVersion"] ?? "", (string?)obj["kind"] ?? "");
            if (type is not null)
            {
                objects.Add((type, obj.DeepClone().AsObject()));
            }
        }
        return new State((long?)root["resourceVersion"] ?? 0, objects);
    }

    /// <summary>Called under the store lock, so it only arms the timer.</summary>
    public void MarkChanged()
    {
        lock (gate)
        {
            if (pending || disposed)
            {
                return;
            }

            pending = true;
            this.timer.Change(this.delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// The timer's flush: a folder that was removed under a running cluster (a test's data folder, a deleted state
    /// dir) must not take the process down; the next change tries again.
    /// </summary>
    private void FlushInBackground()
    {
        try
        {
            Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Sandbox: could not write its state to {this.path}: {e.Message}");
        }
    }

    public void Flush()
    {
        // MarkChanged runs under the store lock and takes gate, so the snapshot (which takes the store lock)
        // must be taken without holding gate; writing keeps two flushes from interleaving.
        lock (writing)
        {
            lock (gate)
            {
                if (!pending)
                {
                    return;
                }

                pending = false;
            }
            var state = this.snapshot();
            var root = new JsonObject
            {
                ["resourceVersion"] = state.ResourceVersion,
                ["objects"] = new JsonArray([.. state.Objects.Select(o => (JsonNode)o.Object)]),
            };
            Directory.CreateDirectory(Path.GetDirectoryName(this.path)!);
            var temporary = this.path + ".tmp";
            File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            // The state holds Secrets: owner-only, like the CA key and the token beside it.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temporary, this.path, overwrite: true);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
        }

        this.timer.Dispose();
        FlushInBackground();
    }
}
