using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Sandbox.Store;

/// <summary>Settings of a <see cref="ClusterStore"/> beyond its clock.</summary>
public sealed class ClusterStoreOptions
{
    /// <summary>JSON snapshot written shortly after each change and loaded on start; null keeps state in memory only.</summary>
    public string? StateFile { get; init; }

    /// <summary>How many changes are kept for watches that resume from a resourceVersion; older ones get 410 Gone.</summary>
    public int WatchHistory { get; init; } = 1000;

    /// <summary>How long writes are gathered before the state file is rewritten.</summary>
    public TimeSpan StateFileDelay { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// The cluster's objects: in memory, behind one lock, with a global resourceVersion, generation, uid,
/// owner-reference garbage collection and a bounded change history for watches.
/// Every object handed in is copied and every object handed out is a copy, so callers never share state with it.
/// </summary>
public sealed class ClusterStore : IDisposable
{
    /// <summary>Namespaces a fresh cluster has, as a real one does.</summary>
    public static readonly IReadOnlyList<string> InitialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>The StorageClass a fresh cluster has, marked as the default one.</summary>
    public const string DefaultStorageClass = "standard";

    private readonly object gate = new();
    private readonly Dictionary<ResourceType, SortedDictionary<string, JsonObject>> objects = [];
    private readonly ClusterStoreOptions options;
    private readonly Queue<WatchEvent> history = new();
    private readonly List<StoreWatch> watches = [];
    private readonly List<Action<StoreEvent>> handlers = [];
    private readonly Queue<StoreEvent> undelivered = new();
    private readonly StateFile? stateFile;
    private bool delivering;
    private long resourceVersion;
    private long historyStart;

    public ClusterStore(TimeProvider time) : this(time, new ClusterStoreOptions()) { }

    public ClusterStore(TimeProvider time, ClusterStoreOptions options)
    {
        Time = time;
        this.options = options;
        foreach (var type in ResourceTypes.All)
        {
            this.objects[type] = new(StringComparer.Ordinal);
        }

        if (options.StateFile is { } path)
        {
            stateFile = new StateFile(path, options.StateFileDelay, Snapshot);
            if (stateFile.Load() is { } state)
            {
                this.resourceVersion = state.ResourceVersion;
                foreach (var (type, obj) in state.Objects)
                {
                    this.objects[type][Key(type, Namespace(obj), Name(obj))] = obj;
                }
            }
        }
        historyStart = this.resourceVersion;
        foreach (var ns in InitialNamespaces)
        {
            if (Get(ResourceTypes.Namespaces, null, ns) is null)
            {
                Create(ResourceTypes.Namespaces, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
            }
        }

        if (this.objects[ResourceTypes.StorageClasses].Count == 0)
        {
            Create(ResourceTypes.StorageClasses, new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = DefaultStorageClass,
                    ["annotations"] = new JsonObject { ["storageclass.kubernetes.io/is-default-class"] = "true" },
                },
                ["provisioner"] = "sandbox.local/hostpath",
                ["allowVolumeExpansion"] = true,
            });
        }
    }

    public TimeProvider Time { get; }

    /// <summary>The resourceVersion of the last write; increases by one per write.</summary>
    public long ResourceVersion { get { lock (gate) { return this.resourceVersion; } } }

    /// <summary>Watches currently open through <see cref="Watch"/> (the HTTP API's watches).</summary>
    public int OpenWatchCount { get { lock (gate) { return this.watches.Count; } } }

    /// <summary>Watches currently open on one resource type.</summary>
    public int OpenWatchCountFor(ResourceType type) { lock (gate)
        {
            return this.watches.Count(w => w.Type == type);
        }
    }

    public JsonObject? Get(ResourceType type, string? ns, string name)
    {
        lock (gate)
        {
            return this.objects[type].GetValueOrDefault(Key(type, ns, name))?.DeepClone().AsObject();
        }
    }

    /// <summary>Objects sorted by namespace and name; <paramref name="ns"/> null means all namespaces.</summary>
    public IReadOnlyList<JsonObject> List(ResourceType type, string? ns) => ListWithVersion(type, ns).Items;

    /// <summary>A list together with the resourceVersion it was taken at, as list responses report it.</summary>
    public (IReadOnlyList<JsonObject> Items, long ResourceVersion) ListWithVersion(ResourceType type, string? ns)
    {
        lock (gate)
        {
            var items = this.objects[type].Values
                .Where(o => ns is null || !type.Namespaced || Namespace(o) == ns)
                .Select(o => o.DeepClone().AsObject())
                .ToList();
            return (items, this.resourceVersion);
        }
    }

    /// <summary>
    /// Creates an object; with <paramref name="dryRun"/> everything is computed and checked but nothing stored.
    /// A <paramref name="manager"/> (a controller's writes) is recorded in managedFields as an Update, as the API server does.
    /// </summary>
    public JsonObject Create(ResourceType type, JsonObject obj, bool dryRun = false, string? manager = null) =>
        Write(() => CreateLocked(type, obj.DeepClone().AsObject(), dryRun, manager));

    /// <summary>
    /// Replaces the whole object except <c>.status</c>, which is kept from the stored one.
    /// A non-empty stale <c>metadata.resourceVersion</c> is refused with 409 Conflict; generation grows iff <c>.spec</c> changed.
    /// </summary>
    public JsonObject Update(ResourceType type, JsonObject obj, string? manager = null) =>
        Write(() => UpdateLocked(type, obj.DeepClone().AsObject(), statusOnly: false, manager: manager));

    /// <summary>Replaces <c>.status</c> only, with the same resourceVersion rule as <see cref="Update"/>.</summary>
    public JsonObject UpdateStatus(ResourceType type, JsonObject obj, string? manager = null) =>
        Write(() => UpdateLocked(type, obj.DeepClone().AsObject(), statusOnly: true, manager: manager));

    /// <summary>Deletes an object and then, like the garbage collector, the objects it owns.</summary>
    public JsonObject Delete(ResourceType type, string? ns, string name) => Delete(type, ns, name, orphanDependents: false);

    /// <summary>Deletes an object; with <paramref name="orphanDependents"/> its dependents lose the owner reference instead.</summary>
    public JsonObject Delete(ResourceType type, string? ns, string name, bool orphanDependents) =>
        Write(() => DeleteLocked(type, ns, name, orphanDependents));

    /// <summary>
    /// Reads and writes an object in one step under the store lock, so nothing can change it in between:
    /// <paramref name="change"/> gets the current object (or null) and returns the object to store, or null to leave it.
    /// Used by patches, which must be computed against exactly the version they replace.
    /// </summary>
    public JsonObject? Change(ResourceType type, string? ns, string name, Func<JsonObject?, JsonObject?> change, bool statusOnly = false, bool dryRun = false, string? manager = null) =>
        Write(() =>
        {
            var current = this.objects[type].GetValueOrDefault(Key(type, ns, name))?.DeepClone().AsObject();
            var next = change(current);
            if (next is null)
            {
                return current;
            }

            if (current is null)
            {
                return CreateLocked(type, next, dryRun, manager);
            }

            return UpdateLocked(type, next, statusOnly, dryRun, manager);
        });

    /// <summary>
    /// Calls <paramref name="handler"/> with every committed change, in commit order, on the writing thread
    /// after the store lock is released, so a handler may write (its own changes are delivered after it returns).
    /// </summary>
    public IDisposable Subscribe(Action<StoreEvent> handler)
    {
        lock (gate)
        {
            this.handlers.Add(handler);
        }

        return new Unsubscriber(() => { lock (gate) { this.handlers.Remove(handler); } });
    }

    /// <summary>
    /// Opens a watch on one type (and namespace, null = all). With <paramref name="fromResourceVersion"/> null
    /// the watch starts with an ADDED event for every current object; otherwise it replays the changes after that version,
    /// or throws 410 Gone (reason Expired) when they are no longer kept. Dispose the watch to close it.
    /// </summary>
    public StoreWatch Watch(ResourceType type, string? ns, long? fromResourceVersion)
    {
        lock (gate)
        {
            if (fromResourceVersion is { } from && from < historyStart)
            {
                throw StoreException.Gone($"too old resource version: {from} ({historyStart + 1})");
            }

            var watch = new StoreWatch(type, ns, this) { StartResourceVersion = this.resourceVersion };
            if (fromResourceVersion is { } since)
            {
                foreach (var e in this.history.Where(e => e.ResourceVersion > since))
                {
                    watch.Offer(e);
                }
            }
            else
            {
                watch.StartResourceVersion = this.resourceVersion;
                foreach (var obj in this.objects[type].Values.Where(o => ns is null || !type.Namespaced || Namespace(o) == ns))
                {
                    watch.InitialEvents++;
                }

                foreach (var obj in this.objects[type].Values)
                {
                    watch.Offer(new WatchEvent(StoreEventType.Added, type, obj.DeepClone().AsObject(), null, ResourceVersionOf(obj)));
                }
            }
            this.watches.Add(watch);
            return watch;
        }
    }

    /// <summary>Writes the state file now if a write is pending.</summary>
    public void Flush() => stateFile?.Flush();

    public void Dispose()
    {
        List<StoreWatch> watches;
        lock (gate)
        {
            watches = [.. this.watches];
        }

        foreach (var w in watches)
        {
            w.Dispose();
        }

        stateFile?.Dispose();
    }

    internal void Close(StoreWatch watch)
    {
        lock (gate)
        {
            this.watches.Remove(watch);
        }
    }

    private T Write<T>(Func<T> write)
    {
        T result;
        lock (gate)
        {
            result = write();
        }

        Deliver();
        return result;
    }

    // Delivery runs on one thread at a time so handlers see changes in commit order; a writer that finds
    // delivery under way (another thread, or its own handler writing) leaves its events to that loop.
    private void Deliver()
    {
        while (true)
        {
            StoreEvent next;
            Action<StoreEvent>[] handlers;
            lock (gate)
            {
                if (delivering || undelivered.Count == 0)
                {
                    return;
                }

                next = undelivered.Dequeue();
                handlers = [.. this.handlers];
                delivering = true;
            }
            try
            {
                foreach (var handler in handlers)
                {
                    try { handler(next with { Object = next.Object.DeepClone().AsObject() }); }
                    catch (Exception e) { System.Diagnostics.Trace.TraceError($"Sandbox store subscriber failed: {e}"); }
                }
            }
            finally
            {
                lock (gate)
                {
                    delivering = false;
                }
            }
        }
    }

    private JsonObject CreateLocked(ResourceType type, JsonObject obj, bool dryRun = false, string? manager = null)
    {
        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var ns = type.Namespaced ? (string?)metadata["namespace"] : null;
        if (type.Namespaced)
        {
            if (string.IsNullOrEmpty(ns))
            {
                throw StoreException.BadRequest("the namespace of the object must be set");
            }

            if (!this.objects[ResourceTypes.Namespaces].ContainsKey(Key(ResourceTypes.Namespaces, null, ns)))
            {
                throw StoreException.NotFound(ResourceTypes.Namespaces, ns);
            }
        }
        else
        {
            metadata.Remove("namespace");
        }
        var name = (string?)metadata["name"];
        if (string.IsNullOrEmpty(name))
        {
            var prefix = (string?)metadata["generateName"];
            if (string.IsNullOrEmpty(prefix))
            {
                throw StoreException.Invalid(type, "", "metadata.name: Required value: name or generateName is required");
            }

            do
            {
                name = prefix + RandomSuffix(5);
            }
            while (this.objects[type].ContainsKey(Key(type, ns, name)));
            metadata["name"] = name;
        }
        if (type == ResourceTypes.PersistentVolumeClaims)
        {
            ClaimRules.DefaultClass(obj, this.objects[ResourceTypes.StorageClasses].Values);
        }

        ObjectDefaults.Apply(type, obj, this.resourceVersion + 1);
        ObjectValidation.Validate(type, obj, creating: true);
        if (this.objects[type].ContainsKey(Key(type, ns, name)))
        {
            throw StoreException.AlreadyExists(type, name);
        }

        if (type == ResourceTypes.Pods)
        {
            Controllers.ResourceQuotas.Admit(obj,
                this.objects[ResourceTypes.ResourceQuotas].Values.Where(q => Namespace(q) == ns),
                this.objects[ResourceTypes.Pods].Values.Where(p => Namespace(p) == ns));
        }

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Timestamp(Time.GetUtcNow());
        metadata["generation"] = 1;
        metadata.Remove("deletionTimestamp");
        if (type == ResourceTypes.Namespaces)
        {
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (type == ResourceTypes.PersistentVolumeClaims || type == ResourceTypes.PersistentVolumes)
        {
            // Created Pending (a volume Available); the volume controller provisions and binds (Controllers/VolumeController.cs).
            obj["status"] = new JsonObject { ["phase"] = type == ResourceTypes.PersistentVolumes ? "Available" : "Pending" };
        }

        if (manager is not null)
        {
            obj = Normalized(obj);
            metadata = obj["metadata"]!.AsObject();
            Patching.FieldOwnership.RecordUpdate(null, obj, manager, type.ApiVersion, null, Timestamp(Time.GetUtcNow()));
        }

        if (dryRun)
        {
            // As a real server's dry-run create: the object as it would be stored, without a resourceVersion.
            metadata.Remove("resourceVersion");
            return Normalized(obj);
        }

        metadata["resourceVersion"] = (++this.resourceVersion).ToString(CultureInfo.InvariantCulture);
        obj = Normalized(obj);
        this.objects[type][Key(type, ns, name)] = obj;
        Record(StoreEventType.Added, type, obj, null);
        return obj.DeepClone().AsObject();
    }

    private JsonObject UpdateLocked(ResourceType type, JsonObject obj, bool statusOnly, bool dryRun = false, string? manager = null)
    {
        var metadata = obj["metadata"] as JsonObject ?? throw StoreException.BadRequest("metadata is required");
        var name = (string?)metadata["name"] ?? throw StoreException.BadRequest("metadata.name is required");
        var ns = type.Namespaced ? (string?)metadata["namespace"] : null;
        var key = Key(type, ns, name);
        var stored = this.objects[type].GetValueOrDefault(key) ?? throw StoreException.NotFound(type, name);
        var storedMetadata = stored["metadata"]!.AsObject();
        var givenVersion = (string?)metadata["resourceVersion"];
        if (!string.IsNullOrEmpty(givenVersion) && givenVersion != (string?)storedMetadata["resourceVersion"])
        {
            throw StoreException.Conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
        }

        var givenUid = (string?)metadata["uid"];
        if (!string.IsNullOrEmpty(givenUid) && givenUid != (string?)storedMetadata["uid"])
        {
            throw StoreException.Conflict(type, name, $"Precondition failed: UID in precondition: {givenUid}, UID in object meta: {storedMetadata["uid"]}");
        }

        JsonObject next;
        if (statusOnly)
        {
            next = stored.DeepClone().AsObject();
            if (obj["status"] is { } status)
            {
                next["status"] = status.DeepClone();
            }
            else
            {
                next.Remove("status");
            }

            if (metadata["managedFields"] is { } managedFields)
            {
                next["metadata"]!["managedFields"] = managedFields.DeepClone();
            }
        }
        else
        {
            next = obj;
            next["apiVersion"] = type.ApiVersion;
            next["kind"] = type.Kind;
            if (stored["status"] is { } status)
            {
                next["status"] = status.DeepClone();
            }
            else
            {
                next.Remove("status");
            }
            // Identity and bookkeeping belong to the server, whatever the client sent.
            foreach (var field in new[] { "uid", "creationTimestamp", "generation", "deletionTimestamp" })
            {
                if (storedMetadata[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
                else
                {
                    metadata.Remove(field);
                }
            }
            metadata["name"] = name;
            if (type.Namespaced)
            {
                metadata["namespace"] = ns;
            }
            else
            {
                metadata.Remove("namespace");
            }

            if (type == ResourceTypes.Services && next["spec"] is JsonObject nextSpec && stored["spec"]?["clusterIP"] is { } clusterIp)
            {
                // Immutable once allocated; a client that leaves it out keeps it.
                nextSpec.TryAdd("clusterIP", clusterIp.DeepClone());
                if (stored["spec"]?["clusterIPs"] is { } clusterIps)
                {
                    nextSpec.TryAdd("clusterIPs", clusterIps.DeepClone());
                }
            }
            if (type == ResourceTypes.PersistentVolumeClaims && next["spec"] is JsonObject claimSpec && stored["spec"]?["storageClassName"] is { } storedClass)
            {
                // Defaulted at create; a client that leaves it out keeps it.
                claimSpec.TryAdd("storageClassName", storedClass.DeepClone());
            }

            ObjectDefaults.Apply(type, next, this.resourceVersion + 1);
            ObjectValidation.Validate(type, next, creating: false);
            if (type == ResourceTypes.PersistentVolumeClaims)
            {
                ClaimRules.CheckUpdate(stored, next, c => this.objects[ResourceTypes.StorageClasses].GetValueOrDefault(Key(ResourceTypes.StorageClasses, null, c)));
            }
            if (!metadata.ContainsKey("managedFields") && storedMetadata["managedFields"] is { } managed)
            {
                metadata["managedFields"] = managed.DeepClone();
            }

            if (!JsonNode.DeepEquals(stored["spec"], next["spec"]))
            {
                metadata["generation"] = ((long?)storedMetadata["generation"] ?? 0) + 1;
            }
        }
        next["metadata"]!["resourceVersion"] = storedMetadata["resourceVersion"]!.DeepClone();
        next = Normalized(next);
        if (manager is not null)
        {
            Patching.FieldOwnership.RecordUpdate(stored, next, manager, type.ApiVersion, statusOnly ? "status" : null, Timestamp(Time.GetUtcNow()));
            next = Normalized(next);
        }

        // A write that changes nothing is not a change: no new resourceVersion, no watch event, as on a real server.
        if (JsonNode.DeepEquals(stored, next))
        {
            return stored.DeepClone().AsObject();
        }

        if (dryRun)
        {
            return next;
        }

        next["metadata"]!["resourceVersion"] = (++this.resourceVersion).ToString(CultureInfo.InvariantCulture);
        this.objects[type][key] = next;
        Record(StoreEventType.Modified, type, next, stored);
        return next.DeepClone().AsObject();
    }

    private JsonObject DeleteLocked(ResourceType type, string? ns, string name, bool orphanDependents)
    {
        var key = Key(type, type.Namespaced ? ns : null, name);
        if (!this.objects[type].Remove(key, out var stored))
        {
            throw StoreException.NotFound(type, name);
        }

        var deleted = stored.DeepClone().AsObject();
        deleted["metadata"]!["resourceVersion"] = (++this.resourceVersion).ToString(CultureInfo.InvariantCulture);
        Record(StoreEventType.Deleted, type, deleted, null);

        if (type == ResourceTypes.Namespaces)
        {
            foreach (var t in ResourceTypes.All.Where(t => t.Namespaced))
            {
                foreach (var inside in this.objects[t].Values.Where(o => Namespace(o) == name).ToList())
                {
                    if (this.objects[t].ContainsKey(Key(t, name, Name(inside))))
                    {
                        DeleteLocked(t, name, Name(inside), orphanDependents: false);
                    }
                }
            }
        }

        var uid = (string?)stored["metadata"]?["uid"];
        foreach (var t in ResourceTypes.All)
        {
            foreach (var dependent in this.objects[t].Values.Where(o => IsOwnedBy(o, uid)).ToList())
            {
                if (orphanDependents)
                {
                    var orphan = dependent.DeepClone().AsObject();
                    var refs = orphan["metadata"]!["ownerReferences"]!.AsArray();
                    foreach (var r in refs.Where(r => (string?)r?["uid"] == uid).ToList())
                    {
                        refs.Remove(r);
                    }

                    if (refs.Count == 0)
                    {
                        orphan["metadata"]!.AsObject().Remove("ownerReferences");
                    }

                    orphan["metadata"]!["resourceVersion"] = (++this.resourceVersion).ToString(CultureInfo.InvariantCulture);
                    this.objects[t][Key(t, Namespace(orphan), Name(orphan))] = orphan;
                    Record(StoreEventType.Modified, t, orphan, dependent);
                }
                else if (this.objects[t].ContainsKey(Key(t, Namespace(dependent), Name(dependent))))
                {
                    DeleteLocked(t, Namespace(dependent), Name(dependent), orphanDependents: false);
                }
            }
        }
        return deleted.DeepClone().AsObject();
    }

    private void Record(StoreEventType type, ResourceType resource, JsonObject obj, JsonObject? previous)
    {
        // Watches share one frozen copy per change: they only ever serialize it.
        var change = new WatchEvent(type, resource, Materialized(obj.DeepClone()).AsObject(), previous is null ? null : Materialized(previous.DeepClone()).AsObject(), this.resourceVersion);
        this.history.Enqueue(change);
        while (this.history.Count > this.options.WatchHistory)
        {
            historyStart = this.history.Dequeue().ResourceVersion;
        }

        foreach (var watch in this.watches)
        {
            watch.Offer(change);
        }

        undelivered.Enqueue(new StoreEvent(type, resource, change.Object));
        stateFile?.MarkChanged();
    }

    /// <summary>
    /// The object as if parsed from its JSON text, so that every number reads back with any numeric cast
    /// ((int?), (long?), (double?)) exactly as it would from a real server's response.
    /// </summary>
    private static JsonObject Normalized(JsonObject obj) => JsonNode.Parse(obj.ToJsonString())!.AsObject();

    // A parsed JsonObject builds its children lazily on first read, which is not safe from several threads at once;
    // walking it once makes later concurrent reads (by many watches) plain dictionary and list reads.
    private static JsonNode Materialized(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, child) in o) { if (child is not null) { Materialized(child); } } break;
            case JsonArray a: foreach (var child in a) { if (child is not null) { Materialized(child); } } break;
        }
        return node;
    }

    private byte[] Snapshot()
    {
        lock (gate)
        {
            return StateFile.Serialize(this.resourceVersion, this.objects.SelectMany(p => p.Value.Values));
        }
    }

    private static bool IsOwnedBy(JsonObject obj, string? uid) =>
        uid is not null && obj["metadata"]?["ownerReferences"] is JsonArray refs && refs.Any(r => (string?)r?["uid"] == uid);

    private static string RandomSuffix(int length)
    {
        // The alphabet Kubernetes uses for generated names: no vowels, no look-alikes.
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }

    internal static string Key(ResourceType type, string? ns, string name) => type.Namespaced ? $"{ns}/{name}" : name;

    internal static string Name(JsonObject obj) => (string?)obj["metadata"]?["name"] ?? "";

    internal static string? Namespace(JsonObject obj) => (string?)obj["metadata"]?["namespace"];

    internal static long ResourceVersionOf(JsonObject obj) =>
        long.TryParse((string?)obj["metadata"]?["resourceVersion"], CultureInfo.InvariantCulture, out var rv) ? rv : 0;

    /// <summary>Time as Kubernetes writes it: RFC 3339, UTC, whole seconds.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private Action? dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref this.dispose, null)?.Invoke();
    }
}

/// <summary>A change as a watch delivers it. <see cref="Object"/> is shared between watches and must not be changed.</summary>
public sealed record WatchEvent(StoreEventType Type, ResourceType Resource, JsonObject Object, JsonObject? Previous, long ResourceVersion);

/// <summary>An open watch on one resource type; dispose it to close it.</summary>
public sealed class StoreWatch : IDisposable
{
    private readonly Channel<WatchEvent> channel = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ClusterStore store;
    private int closed;

    internal StoreWatch(ResourceType type, string? ns, ClusterStore store)
    {
        Type = type;
        Namespace = ns;
        this.store = store;
    }

    public ResourceType Type { get; }
    public string? Namespace { get; }

    /// <summary>How many of the first events are the ADDED events of the objects that existed when the watch opened.</summary>
    public int InitialEvents { get; internal set; }

    /// <summary>The store's resourceVersion when the watch opened.</summary>
    public long StartResourceVersion { get; internal set; }

    public ChannelReader<WatchEvent> Events => channel.Reader;

    internal void Offer(WatchEvent change)
    {
        if (change.Resource != Type)
        {
            return;
        }

        if (Namespace is not null && Type.Namespaced && ClusterStore.Namespace(change.Object) != Namespace)
        {
            return;
        }

        channel.Writer.TryWrite(change);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref closed, 1) == 1)
        {
            return;
        }

        this.store.Close(this);
        channel.Writer.TryComplete();
    }
}
