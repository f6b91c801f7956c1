using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Identity;

namespace Portal.Notifications;

/// <summary>What a new hook is made from (form and API).</summary>
public sealed class WebhookForm
{
    public string Url { get; set; } = "";

    public WebhookFormat Format { get; set; } = WebhookFormat.Json;

    public List<NotificationKind> Events { get; set; } = [];
}

/// <summary>A hook as shown: the URL's path is hidden (Slack puts its own secret there), the signing secret is never shown.</summary>
public sealed record WebhookView(int Id, string Team, string Url, WebhookFormat Format, IReadOnlyList<NotificationKind> Events, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A new hook and its signing secret: the only time the secret is ever shown.</summary>
public sealed record CreatedWebhook(WebhookView Hook, string Secret);

public sealed record DeliveryView(long Id, long EventId, NotificationKind Kind, DeliveryState State, int Attempts, int? StatusCode, DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, string? Error);

/// <summary>A team's hooks: made, listed, removed and tested by its Approvers (or an Admin).</summary>
public sealed class TeamWebhooks(IDbContextFactory<PortalDbContext> dbFactory, TeamAccess access, WebhookSecrets secrets, WebhookDispatcher dispatcher, TimeProvider time, Microsoft.Extensions.Options.IOptionsSnapshot<NotificationsOptions> options)
{
    public const int MaxUrlLength = 2000;

    public static readonly IReadOnlyList<NotificationKind> Subscribable = [.. Enum.GetValues<NotificationKind>().Where(k => k != NotificationKind.Test)];

    public async Task<Outcome<IReadOnlyList<WebhookView>>> ListAsync(ClaimsPrincipal user, string team, CancellationToken cancellationToken = default)
    {
        var teamId = await ManageableTeamAsync(user, team, cancellationToken);
        if (teamId is null)
        {
            return Outcome<IReadOnlyList<WebhookView>>.NotFound(NoTeam(team));
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hooks = await db.Webhooks.AsNoTracking().Where(h => h.TeamId == teamId).OrderBy(h => h.Id).ToListAsync(cancellationToken);
        return Outcome<IReadOnlyList<WebhookView>>.Ok([.. hooks.Select(h => View(h, team))]);
    }

    public async Task<Outcome<CreatedWebhook>> CreateAsync(ClaimsPrincipal user, string team, WebhookForm form, CancellationToken cancellationToken = default)
    {
        var teamId = await ManageableTeamAsync(user, team, cancellationToken);
        if (teamId is null)
        {
            return Outcome<CreatedWebhook>.NotFound(NoTeam(team));
        }

        var errors = Validate(form, options.Value.AllowPrivateTargets);
        if (errors.Count > 0)
        {
            return Outcome<CreatedWebhook>.Invalid(errors);
        }

        var secret = WebhookSecrets.NewSecret();
        var hook = new Webhook
        {
            TeamId = teamId.Value,
            Url = form.Url.Trim(),
            Format = form.Format,
            Events = [.. form.Events.Distinct().Order()],
            SecretCiphertext = secrets.Protect(secret),
            CreatedBy = user.Identity?.Name ?? "",
            CreatedAt = time.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Webhooks.Add(hook);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<CreatedWebhook>.Ok(new CreatedWebhook(View(hook, team), secret));
    }

    public async Task<Outcome<bool>> DeleteAsync(ClaimsPrincipal user, string team, int hookId, CancellationToken cancellationToken = default)
    {
        var teamId = await ManageableTeamAsync(user, team, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var removed = teamId is null ? 0 : await db.Webhooks.Where(h => h.Id == hookId && h.TeamId == teamId).ExecuteDeleteAsync(cancellationToken);
        return removed == 1 ? Outcome<bool>.Ok(true) : Outcome<bool>.NotFound($"Team {team} has no webhook {hookId}.");
    }

    /// <summary>Queues a test event for this hook only; the dispatcher sends it like any other (signed, retried, logged).</summary>
    public async Task<Outcome<long>> SendTestAsync(ClaimsPrincipal user, string team, int hookId, CancellationToken cancellationToken = default)
    {
        var teamId = await ManageableTeamAsync(user, team, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hook = teamId is null ? null : await db.Webhooks.SingleOrDefaultAsync(h => h.Id == hookId && h.TeamId == teamId, cancellationToken);
        if (hook is null)
        {
            return Outcome<long>.NotFound($"Team {team} has no webhook {hookId}.");
        }

        var now = time.GetUtcNow();
        var e = new NotificationEvent { Kind = NotificationKind.Test, TeamId = hook.TeamId, Actor = user.Identity?.Name ?? "", At = now, FannedOut = true };
        Notifications.Enqueue(db, e);
        await db.SaveChangesAsync(cancellationToken);
        var delivery = new WebhookDelivery
        {
            WebhookId = hook.Id,
            EventId = e.Id,
            Body = WebhookPayloads.Body(hook.Format, new EventFacts(e.Id, e.Kind, now, team, null, "", null, null, e.Actor, "")),
            CreatedAt = now,
            NextAttemptAt = now,
        };
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(cancellationToken);
        dispatcher.Wake();
        return Outcome<long>.Ok(delivery.Id);
    }

    public async Task<Outcome<IReadOnlyList<DeliveryView>>> DeliveriesAsync(ClaimsPrincipal user, string team, int hookId, int take = 50, CancellationToken cancellationToken = default)
    {
        var teamId = await ManageableTeamAsync(user, team, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (teamId is null || !await db.Webhooks.AnyAsync(h => h.Id == hookId && h.TeamId == teamId, cancellationToken))
        {
            return Outcome<IReadOnlyList<DeliveryView>>.NotFound($"Team {team} has no webhook {hookId}.");
        }

        var log = await db.WebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == hookId).OrderByDescending(d => d.Id).Take(take)
            .Select(d => new DeliveryView(d.Id, d.EventId, d.Event.Kind, d.State, d.Attempts, d.LastStatusCode, d.CreatedAt, d.LastAttemptAt, d.LastError))
            .ToListAsync(cancellationToken);
        return Outcome<IReadOnlyList<DeliveryView>>.Ok(log);
    }

    /// <summary>The teams whose hooks the user manages: those they approve for, all for an Admin.</summary>
    public async Task<IReadOnlyList<string>> ManageableTeamsAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default) =>
        [.. (await access.ChangeableTeamsAsync(user, cancellationToken)).Where(t => t.Role == TeamRole.Approver).Select(t => t.Team)];

    /// <param name="allowPrivateTargets">Whether a URL may name a loopback, link-local or private address (see <see cref="WebhookTargets"/>).</param>
    public static Dictionary<string, string[]> Validate(WebhookForm form, bool allowPrivateTargets)
    {
        var errors = new Dictionary<string, string[]>();
        var url = form.Url.Trim();
        if (url.Length == 0)
        {
            errors[nameof(WebhookForm.Url)] = ["Give the URL the portal should post to."];
        }
        else if (url.Length > MaxUrlLength)
        {
            errors[nameof(WebhookForm.Url)] = [$"The URL is longer than {MaxUrlLength} characters."];
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.UserInfo.Length > 0)
        {
            errors[nameof(WebhookForm.Url)] = ["Give an absolute http:// or https:// URL without a user name or password, e.g. https://hooks.example.com/deploys."];
        }
        else if (!allowPrivateTargets && WebhookTargets.RefusedHost(uri) is { } refused)
        {
            errors[nameof(WebhookForm.Url)] = [refused];
        }

        if (!Enum.IsDefined(form.Format))
        {
            errors[nameof(WebhookForm.Format)] = ["The format is Json or Slack."];
        }

        if (form.Events.Count == 0)
        {
            errors[nameof(WebhookForm.Events)] = ["Choose at least one event to send."];
        }
        else if (form.Events.Any(e => !Subscribable.Contains(e)))
        {
            errors[nameof(WebhookForm.Events)] = [$"Events are among {string.Join(", ", Subscribable)}."];
        }

        return errors;
    }

    /// <summary>Scheme and host only: a Slack URL's path is itself a credential.</summary>
    public static string ShownUrl(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.GetLeftPart(UriPartial.Authority)}/…" : "…";

    private static WebhookView View(Webhook hook, string team) =>
        new(hook.Id, team, ShownUrl(hook.Url), hook.Format, hook.Events, hook.CreatedBy, hook.CreatedAt);

    private static string NoTeam(string team) => $"There is no team {team} whose webhooks you manage.";

    private async Task<int?> ManageableTeamAsync(ClaimsPrincipal user, string team, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var teamId = await db.Teams.Where(t => t.Name == team).Select(t => (int?)t.Id).SingleOrDefaultAsync(cancellationToken);
        return teamId is { } id && await access.CanApproveAsync(user, id, cancellationToken) ? id : null;
    }
}
