using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Operations;

namespace Portal.Requests;

public enum RequestTopicKind
{
    Request,
    Service,
    Team,
    Inbox,
    AnyInbox,
    All,
}

/// <summary>What a subscriber follows: one request, one service's requests, one team's, a team's approvals inbox, or all.</summary>
public readonly record struct RequestTopic(RequestTopicKind Kind, int Id)
{
    public static readonly RequestTopic All = new(RequestTopicKind.All, 0);

    /// <summary>Any team's approvals inbox (Admins approve for every team).</summary>
    public static readonly RequestTopic AnyInbox = new(RequestTopicKind.AnyInbox, 0);

    public static RequestTopic Request(int requestId) => new(RequestTopicKind.Request, requestId);

    public static RequestTopic Service(int serviceId) => new(RequestTopicKind.Service, serviceId);

    public static RequestTopic Team(int teamId) => new(RequestTopicKind.Team, teamId);

    /// <summary>Woken when a request of the team starts or stops waiting for an approval.</summary>
    public static RequestTopic Inbox(int teamId) => new(RequestTopicKind.Inbox, teamId);
}

/// <summary>A request that changed, as far as subscribers need to know whether it concerns them.</summary>
public sealed record RequestChanged(int RequestId, int ServiceId, int TeamId, RequestState State);

/// <summary>
/// Tells live pages (lists, the approvals badge, a request's page) that a request changed, waking only the subscribers
/// of the topics it concerns (<see cref="RequestTopic"/>). Subscribers re-read what they show; the notifier carries no
/// request data, so nothing secret can travel through it. It keeps <see cref="InboxCounts"/> up to date first.
/// With several instances, the request's id crosses to the others through the <see cref="InstanceBus"/>, and each
/// notifies its own subscribers from what its database read says, exactly as for a change made there.
/// </summary>
public sealed class RequestNotifier : IDisposable
{
    private const string Topic = "requests";

    private readonly Lock gate = new();
    private readonly Dictionary<RequestTopic, Func<RequestChanged, Task>[]> handlers = [];

    // What a change concerns, read for every change.
    private static readonly PerEngine<Func<PortalDbContext, int, Task<Concern?>>> Concerned = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, int requestId) => db.DeploymentRequests.AsNoTracking()
            .Where(r => r.Id == requestId)
            .Select(r => new Concern(r.ServiceId, r.Service.TeamId, r.State, r.RequestedById))
            .SingleOrDefault()));

    // Changes are looked up and applied to the inbox counts one at a time, so an older state never overwrites a newer one.
    private readonly SemaphoreSlim ordered = new(1, 1);
    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly InboxCounts inbox;
    private readonly InstanceBus bus;
    private readonly ILogger<RequestNotifier> logger;
    private readonly IDisposable remote;

    public RequestNotifier(IDbContextFactory<PortalDbContext> dbFactory, InboxCounts inbox, InstanceBus bus, ILogger<RequestNotifier> logger)
    {
        this.dbFactory = dbFactory;
        this.inbox = inbox;
        this.bus = bus;
        this.logger = logger;
        remote = bus.Subscribe(Topic, message => NotifyHereAsync(int.Parse(message, CultureInfo.InvariantCulture)));
    }

    public void Dispose() => remote.Dispose();

    public IDisposable Subscribe(RequestTopic topic, Func<RequestChanged, Task> handler) => Subscribe([topic], handler);

    public IDisposable Subscribe(IReadOnlyCollection<RequestTopic> topics, Func<RequestChanged, Task> handler)
    {
        lock (gate)
        {
            foreach (var topic in topics.Distinct())
            {
                handlers[topic] = [.. handlers.GetValueOrDefault(topic) ?? [], handler];
            }
        }

        return new Subscription(this, [.. topics.Distinct()], handler);
    }

    /// <summary>Tells every instance's subscribers that the request changed (call it after saving the change).</summary>
    public async Task NotifyAsync(int requestId)
    {
        bus.Publish(Topic, requestId.ToString(CultureInfo.InvariantCulture));
        await NotifyHereAsync(requestId);
    }

    private async Task NotifyHereAsync(int requestId)
    {
        RequestChanged? change;
        bool inboxChanged;
        await ordered.WaitAsync();
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var found = await Concerned.For(db)(db, requestId);
            if (found is null)
            {
                return;
            }

            change = new RequestChanged(requestId, found.ServiceId, found.TeamId, found.State);
            inboxChanged = await inbox.ApplyAsync(requestId, found.TeamId, found.RequestedById, found.State == RequestState.AwaitingApproval);
        }
        finally
        {
            ordered.Release();
        }

        List<RequestTopic> topics = [RequestTopic.Request(requestId), RequestTopic.Service(change.ServiceId), RequestTopic.Team(change.TeamId), RequestTopic.All];
        if (inboxChanged)
        {
            topics.AddRange([RequestTopic.Inbox(change.TeamId), RequestTopic.AnyInbox]);
        }

        List<Func<RequestChanged, Task>> current = [];
        lock (gate)
        {
            foreach (var topic in topics)
            {
                foreach (var handler in handlers.GetValueOrDefault(topic) ?? [])
                {
                    if (!current.Contains(handler))
                    {
                        current.Add(handler);
                    }
                }
            }
        }

        foreach (var handler in current)
        {
            try
            {
                await handler(change);
            }
            catch (Exception e)
            {
                // A page that went away mid-notification must not fail the change that was already saved.
                logger.LogDebug(e, "A subscriber to changes of request {RequestId} failed", requestId);
            }
        }
    }

    private sealed record Concern(int ServiceId, int TeamId, RequestState State, string RequestedById);

    private sealed class Subscription(RequestNotifier notifier, RequestTopic[] topics, Func<RequestChanged, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (notifier.gate)
            {
                foreach (var topic in topics)
                {
                    if (notifier.handlers.TryGetValue(topic, out var list))
                    {
                        list = [.. list.Where(h => h != handler)];
                        if (list.Length == 0)
                        {
                            notifier.handlers.Remove(topic);
                        }
                        else
                        {
                            notifier.handlers[topic] = list;
                        }
                    }
                }
            }
        }
    }
}
