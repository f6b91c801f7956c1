using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>
/// A watch as the real API server streams it: one JSON event per line (<c>{"type":"ADDED","object":{...}}</c>), flushed per event,
/// resumable from a resourceVersion, with selectors, bookmarks, <c>sendInitialEvents</c> and <c>timeoutSeconds</c>.
/// A resourceVersion older than the kept history yields an ERROR event carrying a 410 Expired Status, then the stream ends.
/// </summary>
internal static class WatchStream
{
    /// <summary>How often an idle watch that allows bookmarks gets one, as the real server does about once a minute.</summary>
    private static readonly TimeSpan BookmarkInterval = TimeSpan.FromMinutes(1);

    public static async Task ServeAsync(HttpContext context, ClusterStore store, ResourceRequest target, CancellationToken stopping)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var table = TableView.IsRequested(context.Request);
        var includeObject = query["includeObject"].ToString() is { Length: > 0 } include ? include : "Metadata";
        var bookmarks = context.Request.Flag("allowWatchBookmarks");
        var sendInitialEvents = context.Request.Flag("sendInitialEvents");
        long? from = null;
        if (!sendInitialEvents && query["resourceVersion"].ToString() is { Length: > 0 } rvText && rvText != "0")
        {
            if (!long.TryParse(rvText, CultureInfo.InvariantCulture, out var rv))
            {
                throw StoreException.BadRequest($"invalid resource version: {rvText}");
            }

            from = rv;
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";

        StoreWatch watch;
        try
        {
            watch = store.Watch(target.Type, target.Namespace, from);
        }
        catch (StoreException gone) when (gone.Code == 410)
        {
            await WriteEventAsync(context, "ERROR", ApiStatus.Failure(gone));
            return;
        }

        using (watch)
        {
            // Connection lifetimes (timeoutSeconds, bookmarks) follow wall-clock time like the client's own timeouts;
            // the simulation clock drives the cluster's behaviour, not its sockets.
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            if (long.TryParse(query["timeoutSeconds"], out var timeout) && timeout > 0)
            {
                cancel.CancelAfter(TimeSpan.FromSeconds(timeout));
            }

            var token = cancel.Token;
            // Clients wait for the response headers before they consider the watch open.
            await context.Response.StartAsync(token);
            await context.Response.Body.FlushAsync(token);

            var pendingInitial = sendInitialEvents ? watch.InitialEvents : 0;
            var lastResourceVersion = from ?? watch.StartResourceVersion;
            if (sendInitialEvents && pendingInitial == 0)
            {
                await WriteInitialEventsEndAsync(context, target.Type, lastResourceVersion);
            }
            // A bookmark right away (servers may send one at any time) gives clients that wait for the first line
            // before returning from the watch call, such as KubernetesClient, an open watch even when nothing changes.
            else if (bookmarks && !sendInitialEvents)
            {
                await WriteEventAsync(context, "BOOKMARK", Bookmark(target.Type, lastResourceVersion, initialEventsEnd: false));
            }

            try
            {
                while (!token.IsCancellationRequested)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                    if (bookmarks)
                    {
                        idle.CancelAfter(BookmarkInterval);
                    }

                    bool more;
                    try { more = await watch.Events.WaitToReadAsync(idle.Token); }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        await WriteEventAsync(context, "BOOKMARK", Bookmark(target.Type, lastResourceVersion, initialEventsEnd: false));
                        continue;
                    }
                    if (!more)
                    {
                        break;
                    }

                    while (watch.Events.TryRead(out var change))
                    {
                        if (change.ResourceVersion > lastResourceVersion)
                        {
                            lastResourceVersion = change.ResourceVersion;
                        }

                        if (Filter(change, labels, fields) is { } type)
                        {
                            await WriteEventAsync(context, type, table ? TableView.Build(target.Type, [change.Object], includeObject, change.ResourceVersion, store.Time.GetUtcNow()) : change.Object);
                        }

                        if (pendingInitial > 0 && --pendingInitial == 0)
                        {
                            await WriteInitialEventsEndAsync(context, target.Type, lastResourceVersion);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The client went away, the timeout passed or the server is stopping: the watch simply ends.
            }
            catch (IOException)
            {
                // The connection broke mid-write.
            }
        }
    }

    /// <summary>
    /// The event type a selector-filtered watcher sees: an object that starts matching is ADDED to its view,
    /// one that stops matching is DELETED from it, as the real server's watch cache reports them.
    /// </summary>
    private static string? Filter(WatchEvent change, LabelSelector labels, FieldSelector fields)
    {
        bool Matches(JsonObject? o) => o is not null && labels.Matches(o) && fields.Matches(o);
        var now = Matches(change.Object);
        return change.Type switch
        {
            StoreEventType.Added => now ? "ADDED" : null,
            StoreEventType.Deleted => now ? "DELETED" : null,
            _ when change.Previous is null => now ? "MODIFIED" : null,
            _ => (Matches(change.Previous), now) switch
            {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                _ => null,
            },
        };
    }

    private static Task WriteInitialEventsEndAsync(HttpContext context, ResourceType type, long resourceVersion) =>
        WriteEventAsync(context, "BOOKMARK", Bookmark(type, resourceVersion, initialEventsEnd: true));

    private static JsonObject Bookmark(ResourceType type, long resourceVersion, bool initialEventsEnd)
    {
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion, ["metadata"] = metadata };
    }

    private static async Task WriteEventAsync(HttpContext context, string type, JsonNode obj)
    {
        var body = context.Response.Body;
        await using (var writer = new Utf8JsonWriter(body, ResourceApi.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            obj.WriteTo(writer);
            writer.WriteEndObject();
        }
        await body.WriteAsync("\n"u8.ToArray());
        await body.FlushAsync();
    }
}
