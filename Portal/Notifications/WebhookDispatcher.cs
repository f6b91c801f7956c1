using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Requests;

namespace Portal.Notifications;

/// <summary>
/// Sends the outbox. Two steps, each safe with several instances on one database:
/// fan-out turns a new event into one delivery row per subscribed hook (the event's concurrency token and a unique
/// (hook, event) index let only one instance do it); sending claims a due delivery with one conditional UPDATE (lease
/// free or expired), so exactly one dispatcher holds it while it sends. A failed attempt is rescheduled in the row with
/// exponential backoff, so retries survive a restart instead of living in this process's memory.
/// </summary>
public sealed class WebhookDispatcher(
    IDbContextFactory<PortalDbContext> dbFactory,
    IHttpClientFactory httpClients,
    WebhookSecrets secrets,
    RequestNotifier requests,
    IOptions<NotificationsOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";

    private const int Batch = 50;

    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Names this dispatcher in the leases it takes.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Guid.NewGuid():n}";

    /// <summary>Look at the outbox now (a transition or a test was just saved).</summary>
    public void Wake() => wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = requests.Subscribe(RequestTopic.All, _ =>
        {
            Wake();
            return Task.CompletedTask;
        });
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Sending webhooks failed; trying again at the next interval");
            }

            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            delay.CancelAfter(options.Value.PollInterval);
            try
            {
                await wake.Reader.WaitToReadAsync(delay.Token);
                wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The poll interval passed: look again for retries that fell due and other instances' events.
            }
        }
    }

    /// <summary>One pass: fan out new events, then send what is due. Returns how many deliveries this pass sent.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        while (await FanOutAsync(cancellationToken) == Batch)
        {
        }

        var sent = 0;
        int claimed;
        do
        {
            claimed = await SendDueAsync(cancellationToken);
            sent += claimed;
        }
        while (claimed > 0);
        return sent;
    }

    /// <summary>
    /// Fans out up to <see cref="Batch"/> new events in one read and one save (a busy portal makes events faster than one
    /// by one could keep up with). When another instance fanned out one of them first, the save fails as a whole and the
    /// batch is done again one event at a time, each settled by its own concurrency token.
    /// </summary>
    private async Task<int> FanOutAsync(CancellationToken cancellationToken)
    {
        List<long> ids;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var events = await db.NotificationEvents.Where(e => !e.FannedOut).OrderBy(e => e.Id).Take(Batch).ToListAsync(cancellationToken);
            if (events.Count == 0)
            {
                return 0;
            }

            var serviceIds = events.Where(e => e.TeamId is null).Select(e => e.ServiceId).OfType<int>().Distinct().ToList();
            var teamOfService = serviceIds.Count == 0
                ? []
                : await db.Services.Where(s => serviceIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.TeamId, cancellationToken);
            foreach (var e in events)
            {
                e.TeamId ??= e.ServiceId is { } serviceId && teamOfService.TryGetValue(serviceId, out var teamId) ? teamId : null;
            }

            var teamIds = events.Select(e => e.TeamId).OfType<int>().Distinct().ToList();
            var hooks = teamIds.Count == 0 ? [] : await db.Webhooks.Where(h => teamIds.Contains(h.TeamId)).ToListAsync(cancellationToken);
            foreach (var e in events)
            {
                await AddDeliveriesAsync(db, e, [.. hooks.Where(h => h.TeamId == e.TeamId)], cancellationToken);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return events.Count;
            }
            catch (DbUpdateException)
            {
                // Another instance fanned out one of these first (concurrency token or the unique (hook, event) index).
                ids = [.. events.Select(e => e.Id)];
            }
        }

        foreach (var id in ids)
        {
            await FanOutOneAsync(id, cancellationToken);
        }

        return ids.Count;
    }

    private async Task FanOutOneAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var e = await db.NotificationEvents.SingleOrDefaultAsync(x => x.Id == id && !x.FannedOut, cancellationToken);
        if (e is null)
        {
            return;
        }

        e.TeamId ??= e.ServiceId is { } serviceId
            ? await db.Services.Where(s => s.Id == serviceId).Select(s => (int?)s.TeamId).SingleOrDefaultAsync(cancellationToken)
            : null;
        List<Webhook> hooks = e.TeamId is { } teamId ? await db.Webhooks.Where(h => h.TeamId == teamId).ToListAsync(cancellationToken) : [];
        await AddDeliveriesAsync(db, e, hooks, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            logger.LogDebug("Event {EventId} was fanned out by another dispatcher", id);
        }
    }

    /// <summary>One delivery per hook of the event's team that wants its kind; the event is marked fanned out.</summary>
    private async Task AddDeliveriesAsync(PortalDbContext db, NotificationEvent e, List<Webhook> teamHooks, CancellationToken cancellationToken)
    {
        var hooks = teamHooks.Where(h => h.Events.Contains(e.Kind)).ToList();
        // The names and the tag are read only for an event some webhook wants (most events, e.g. each submit's, have none).
        var facts = hooks.Count == 0 ? null : (await FactsAsync(db, e, cancellationToken)).Facts;
        var now = time.GetUtcNow();
        foreach (var hook in hooks)
        {
            db.WebhookDeliveries.Add(new WebhookDelivery
            {
                WebhookId = hook.Id,
                EventId = e.Id,
                Body = WebhookPayloads.Body(hook.Format, facts!),
                State = DeliveryState.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            });
        }

        e.FannedOut = true;
        e.Version++;
    }

    internal static async Task<(int? TeamId, EventFacts Facts)> FactsAsync(PortalDbContext db, NotificationEvent e, CancellationToken cancellationToken)
    {
        var service = e.ServiceId is { } serviceId
            ? await db.Services.Where(s => s.Id == serviceId).Select(s => new { s.TeamId, s.Name, Team = s.Team.Name }).SingleOrDefaultAsync(cancellationToken)
            : null;
        var teamId = e.TeamId ?? service?.TeamId;
        var team = service?.Team ?? (teamId is { } id ? await db.Teams.Where(t => t.Id == id).Select(t => t.Name).SingleOrDefaultAsync(cancellationToken) : null);
        var tag = e.RequestId is { } requestId
            ? await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => r.ImageTag).SingleOrDefaultAsync(cancellationToken)
            : null;
        return (teamId, new EventFacts(e.Id, e.Kind, e.At, team, service?.Name, e.Environment, e.RequestId, tag, e.Actor, e.Comment));
    }

    private async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<long> due;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            due = await db.WebhookDeliveries
                .Where(d => d.State == DeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
                .OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id)
                .Select(d => d.Id).Take(Batch).ToListAsync(cancellationToken);
        }

        var sent = 0;
        foreach (var id in due)
        {
            if (await ClaimAsync(id, cancellationToken))
            {
                await SendAsync(id, cancellationToken);
                sent++;
            }
        }

        return sent;
    }

    /// <summary>Takes the lease with one conditional UPDATE: of several dispatchers racing, exactly one changes the row.</summary>
    private async Task<bool> ClaimAsync(long id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + options.Value.LeaseDuration;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var changed = await db.WebhookDeliveries
            .Where(d => d.Id == id && d.State == DeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until).SetProperty(d => d.LeaseOwner, Owner), cancellationToken);
        return changed == 1;
    }

    private async Task SendAsync(long id, CancellationToken cancellationToken)
    {
        WebhookDelivery? delivery;
        Webhook? hook;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            delivery = await db.WebhookDeliveries.AsNoTracking().Include(d => d.Event).SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
            hook = delivery is null ? null : await db.Webhooks.AsNoTracking().SingleOrDefaultAsync(h => h.Id == delivery.WebhookId, cancellationToken);
        }

        if (delivery is null || hook is null)
        {
            return;
        }

        var attempt = delivery.Attempts + 1;
        int? status = null;
        string? error = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, hook.Url)
            {
                Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
            };
            message.Headers.Add(WebhookPayloads.SignatureHeader, WebhookPayloads.Signature(secrets.Reveal(hook), delivery.Body));
            message.Headers.Add(WebhookPayloads.TimestampHeader, time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            message.Headers.Add(WebhookPayloads.EventIdHeader, delivery.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            message.Headers.Add(WebhookPayloads.EventTypeHeader, Notifications.TypeName(delivery.Event.Kind));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"The receiver answered {status} {response.ReasonPhrase}.";
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"No answer within {options.Value.Timeout.TotalSeconds:0.#} s.";
        }
        catch (HttpRequestException e) when (e.InnerException is RefusedTargetException refused)
        {
            error = refused.Message;
        }
        catch (HttpRequestException e)
        {
            error = $"Could not connect: {e.HttpRequestError}.";
        }

        var now = time.GetUtcNow();
        var delivered = error is null;
        var gaveUp = !delivered && attempt >= options.Value.MaxAttempts;
        var state = delivered ? DeliveryState.Delivered : gaveUp ? DeliveryState.GaveUp : DeliveryState.Pending;
        var next = delivered || gaveUp ? now : now + Backoff(attempt);
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            // Recorded even when the host is stopping: the receiver already has it, so it must not be sent again.
            await db.WebhookDeliveries.Where(d => d.Id == id && d.LeaseOwner == Owner).ExecuteUpdateAsync(
                s => s.SetProperty(d => d.State, state)
                    .SetProperty(d => d.Attempts, attempt)
                    .SetProperty(d => d.LastAttemptAt, now)
                    .SetProperty(d => d.LastStatusCode, status)
                    .SetProperty(d => d.LastError, error)
                    .SetProperty(d => d.NextAttemptAt, next)
                    .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(d => d.LeaseOwner, (string?)null),
                CancellationToken.None);
        }

        logger.LogInformation(
            "Webhook {WebhookId} delivery {DeliveryId} attempt {Attempt}: {Outcome} in {Elapsed:0} ms",
            hook.Id, id, attempt, delivered ? "delivered" : gaveUp ? $"gave up ({error})" : $"retrying ({error})", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private TimeSpan Backoff(int attempt)
    {
        var exponential = options.Value.RetryBaseDelay * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = exponential < options.Value.MaxRetryDelay ? exponential : options.Value.MaxRetryDelay;
        // Jitter (+-20 %) so that hooks failing together do not all retry in the same instant.
        return capped * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }
}

/// <summary>Signing secrets: made here, shown once, stored with Data Protection, revealed only to sign a delivery.</summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("Portal.Notifications.WebhookSecrets.v1");

    public static string NewSecret() => "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public string Protect(string secret) => protector.Protect(secret);

    public string Reveal(Webhook hook) => protector.Unprotect(hook.SecretCiphertext);
}
