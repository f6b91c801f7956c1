using Portal.Identity;

namespace Portal.Notifications;

public enum WebhookFormat
{
    /// <summary>A JSON object describing the event (see <see cref="WebhookPayloads.Generic"/>).</summary>
    Json,

    /// <summary>What Slack's incoming webhooks accept: <c>text</c> plus <c>blocks</c>.</summary>
    Slack,
}

/// <summary>A team's outgoing webhook. Its signing secret is encrypted at rest and never shown after creation.</summary>
public sealed class Webhook
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public Team Team { get; set; } = null!;

    public required string Url { get; set; }

    public WebhookFormat Format { get; set; }

    public List<NotificationKind> Events { get; set; } = [];

    /// <summary>The signing secret, protected with Data Protection.</summary>
    public required string SecretCiphertext { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public enum DeliveryState
{
    Pending,
    Delivered,
    GaveUp,
}

/// <summary>
/// One event to one hook: the outbox row a dispatcher claims (by a lease), sends, and records. The body is fixed when the
/// row is made, so every retry sends (and signs) exactly the same bytes.
/// </summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }

    public int WebhookId { get; set; }

    public long EventId { get; set; }

    public NotificationEvent Event { get; set; } = null!;

    public required string Body { get; set; }

    public DeliveryState State { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>While set and in the future, the dispatcher named in <see cref="LeaseOwner"/> is sending this row.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public int? LastStatusCode { get; set; }

    public string? LastError { get; set; }
}
