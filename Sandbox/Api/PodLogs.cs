using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>
/// <c>GET /api/v1/namespaces/{ns}/pods/{name}/log</c> with <c>container</c>, <c>previous</c>, <c>tailLines</c>,
/// <c>limitBytes</c>, <c>sinceSeconds</c>, <c>timestamps</c> and <c>follow</c>. There are no processes, so the lines are
/// simulated from what the pod's status says each container instance did, on the store's clock: a start-up banner, then a
/// request line every few seconds (readiness failures for an <c>unready</c> tag), and an error before a non-zero exit.
/// The same instance always gives the same lines, so a follower sees each line once.
/// </summary>
internal static class PodLogs
{
    private static readonly TimeSpan RequestInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReadinessFailureInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(100);
    private static readonly string[] RequestPaths = ["/", "/healthz", "/api/items", "/api/items/42", "/static/app.js"];

    /// <summary>One run of a container: from its start to its exit (or still running).</summary>
    private sealed record Instance(string Image, int Port, DateTimeOffset Start, DateTimeOffset? End, long ExitCode, string Seed);

    public static async Task ServeAsync(HttpContext context, ClusterStore store, ResourceRequest target, CancellationToken stopping)
    {
        var request = context.Request;
        var pod = store.Get(ResourceTypes.Pods, target.Namespace, target.Name!) ?? throw StoreException.NotFound(ResourceTypes.Pods, target.Name!);
        var containerName = Container(pod, request.Query["container"].ToString());
        var previous = request.Flag("previous");
        var follow = request.Flag("follow");
        var timestamps = request.Flag("timestamps");
        long? tail = Number(request, "tailLines");
        long? limitBytes = Number(request, "limitBytes");
        long? sinceSeconds = Number(request, "sinceSeconds");
        var instance = Find(pod, containerName, previous) ?? throw Unavailable(pod, containerName, previous);

        var now = store.Time.GetUtcNow();
        var lines = Lines(instance, now).ToList();
        var since = sinceSeconds is { } seconds ? now - TimeSpan.FromSeconds(seconds) : DateTimeOffset.MinValue;
        var shown = lines.Where(l => l.At >= since).ToList();
        if (tail is { } n && n >= 0 && shown.Count > n)
        {
            shown = shown[^(int)n..];
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        var writer = new LimitedWriter(context.Response.Body, limitBytes);
        foreach (var line in shown)
        {
            await writer.WriteAsync(Format(line, timestamps), context.RequestAborted);
        }

        if (!follow || previous || instance.End is not null || writer.Full)
        {
            return;
        }

        await context.Response.Body.FlushAsync(context.RequestAborted);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var sent = lines.Count;
        try
        {
            while (!cancel.IsCancellationRequested && !writer.Full)
            {
                await Task.Delay(FollowPoll, cancel.Token);
                var current = store.Get(ResourceTypes.Pods, target.Namespace, target.Name!);
                // The instance followed: still running, or just ended (then its last lines, and the stream ends).
                var same = current is null ? null : SameInstance(current, containerName, instance.Start);
                if (same is null)
                {
                    return;
                }

                var next = Lines(same, store.Time.GetUtcNow()).Skip(sent).ToList();
                foreach (var line in next)
                {
                    await writer.WriteAsync(Format(line, timestamps), cancel.Token);
                }

                sent += next.Count;
                await context.Response.Body.FlushAsync(cancel.Token);
                if (same.End is not null)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away or the server stops: the stream just ends, as a real follow does.
        }
        catch (IOException)
        {
            // The connection broke while writing: nothing left to tell anyone.
        }
    }

    private static string Container(JsonObject pod, string asked)
    {
        var names = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"] ?? "").ToList();
        var podName = (string?)pod["metadata"]?["name"];
        if (asked.Length == 0)
        {
            if (names.Count == 1)
            {
                return names[0];
            }

            throw StoreException.BadRequest($"a container name must be specified for pod {podName}, choose one of: [{string.Join(' ', names)}]");
        }

        return names.Contains(asked) ? asked : throw StoreException.BadRequest($"container {asked} is not valid for pod {podName}");
    }

    private static Instance? Find(JsonObject pod, string containerName, bool previous)
    {
        var status = Status(pod, containerName);
        var last = status?["lastState"]?["terminated"] as JsonObject;
        if (previous)
        {
            return last is null ? null : Ended(pod, containerName, last);
        }

        if (status?["state"]?["running"]?["startedAt"] is { } started && Time(started) is { } start)
        {
            return new Instance(Image(pod, containerName), Port(pod, containerName), start, null, 0, Seed(pod, containerName, start));
        }

        if (status?["state"]?["terminated"] is JsonObject terminated)
        {
            return Ended(pod, containerName, terminated);
        }

        // In a crash loop the kubelet still serves the last run's log while the next one waits.
        return last is null ? null : Ended(pod, containerName, last);
    }

    private static Instance? SameInstance(JsonObject pod, string containerName, DateTimeOffset start)
    {
        var status = Status(pod, containerName);
        if (status?["state"]?["running"]?["startedAt"] is { } started && Time(started) == start)
        {
            return new Instance(Image(pod, containerName), Port(pod, containerName), start, null, 0, Seed(pod, containerName, start));
        }

        foreach (var terminated in new[] { status?["state"]?["terminated"], status?["lastState"]?["terminated"] }.OfType<JsonObject>())
        {
            if (Time(terminated["startedAt"]) == start)
            {
                return Ended(pod, containerName, terminated);
            }
        }

        return null;
    }

    private static Instance? Ended(JsonObject pod, string containerName, JsonObject terminated)
    {
        if (Time(terminated["startedAt"]) is not { } start)
        {
            return null;
        }

        var end = Time(terminated["finishedAt"]) ?? start;
        return new Instance(Image(pod, containerName), Port(pod, containerName), start, end, (long?)terminated["exitCode"] ?? 0, Seed(pod, containerName, start));
    }

    private static IEnumerable<(DateTimeOffset At, string Text)> Lines(Instance instance, DateTimeOffset now)
    {
        var until = instance.End ?? now;
        if (until < instance.Start)
        {
            yield break;
        }

        yield return (instance.Start, $"INFO  starting {instance.Image}");
        yield return (instance.Start, $"INFO  listening on 0.0.0.0:{instance.Port}");
        var unready = Tag(instance.Image).Contains("unready", StringComparison.OrdinalIgnoreCase);
        var interval = unready ? ReadinessFailureInterval : RequestInterval;
        // FNV-1a: the same on every run, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in instance.Seed)
        {
            hash = (hash ^ c) * 16777619u;
        }

        var i = 0u;
        for (var at = instance.Start + interval; at <= until && !(instance.End == at && instance.ExitCode != 0); at += interval, i++)
        {
            if (unready)
            {
                yield return (at, "WARN  readiness check failed: upstream dependency not reachable (connection refused)");
            }
            else
            {
                var n = (i * 2654435761u) ^ hash;
                yield return (at, $"INFO  GET {RequestPaths[n % RequestPaths.Length]} 200 {1 + (n / 7 % 40)}ms");
            }
        }

        if (instance.End is { } end && instance.ExitCode != 0)
        {
            yield return (end, "ERROR fatal: could not initialise: connection to backing service refused");
            yield return (end, $"ERROR exiting with code {instance.ExitCode}");
        }
    }

    private static string Format((DateTimeOffset At, string Text) line, bool timestamps) =>
        timestamps ? $"{line.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)} {line.Text}\n" : line.Text + "\n";

    private static StoreException Unavailable(JsonObject pod, string containerName, bool previous)
    {
        var podName = (string?)pod["metadata"]?["name"];
        if (previous)
        {
            return StoreException.BadRequest($"previous terminated container \"{containerName}\" in pod \"{podName}\" not found");
        }

        var reason = (string?)Status(pod, containerName)?["state"]?["waiting"]?["reason"] ?? "ContainerCreating";
        var why = reason is "ErrImagePull" or "ImagePullBackOff" ? "trying and failing to pull image" : reason;
        return StoreException.BadRequest($"container \"{containerName}\" in pod \"{podName}\" is waiting to start: {why}");
    }

    private static JsonObject? Status(JsonObject pod, string containerName) =>
        (pod["status"]?["containerStatuses"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(s => (string?)s["name"] == containerName);

    private static JsonObject? Spec(JsonObject pod, string containerName) =>
        (pod["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["name"] == containerName);

    private static string Image(JsonObject pod, string containerName) => (string?)Spec(pod, containerName)?["image"] ?? "";

    private static int Port(JsonObject pod, string containerName) =>
        (int?)(Spec(pod, containerName)?["ports"] as JsonArray)?.FirstOrDefault()?["containerPort"] ?? 8080;

    private static string Tag(string image)
    {
        var lastPart = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastPart.IndexOf(':');
        return colon < 0 ? "latest" : lastPart[(colon + 1)..];
    }

    private static string Seed(JsonObject pod, string containerName, DateTimeOffset start) =>
        $"{pod["metadata"]?["uid"]}/{containerName}/{start.ToUnixTimeSeconds()}";

    private static DateTimeOffset? Time(JsonNode? node) =>
        DateTimeOffset.TryParse((string?)node, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static long? Number(HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return long.TryParse(text, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw StoreException.BadRequest($"invalid value for {name}: strconv.ParseInt: parsing \"{text}\": invalid syntax");
    }

    /// <summary>Writes until <c>limitBytes</c> is reached, cutting the last line there as the kubelet does.</summary>
    private sealed class LimitedWriter(Stream body, long? limit)
    {
        private long written;

        public bool Full => limit is { } l && this.written >= l;

        public async Task WriteAsync(string text, CancellationToken cancel)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var count = limit is { } l ? (int)Math.Min(bytes.Length, Math.Max(0, l - this.written)) : bytes.Length;
            if (count > 0)
            {
                await body.WriteAsync(bytes.AsMemory(0, count), cancel);
                this.written += count;
            }
        }
    }
}
