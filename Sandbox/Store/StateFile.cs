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
    private readonly Func<byte[]> snapshot;
    private readonly object gate = new();
    private readonly object writing = new();
    private readonly Timer timer;
    private bool pending;
    private bool disposed;

    /// <param name="snapshot">The file's content at this moment (<see cref="Serialize"/>).</param>
    public StateFile(string path, TimeSpan delay, Func<byte[]> snapshot)
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
            var content = this.snapshot();
            Directory.CreateDirectory(Path.GetDirectoryName(this.path)!);
            var temporary = this.path + ".tmp";
            File.WriteAllBytes(temporary, content);
            // The state holds Secrets: owner-only, like the CA key and the token beside it.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temporary, this.path, overwrite: true);
        }
    }

    /// <summary>
    /// The file's content for these objects. Written straight from the objects (no copies), so a store can call it under
    /// its lock: that costs what a deep copy of every object would, and the copy is not needed then.
    /// </summary>
    public static byte[] Serialize(long resourceVersion, IEnumerable<JsonObject> objects)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("resourceVersion", resourceVersion);
            writer.WriteStartArray("objects");
            foreach (var obj in objects)
            {
                obj.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
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
