using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Notifications;

/// <summary>What an event says, resolved to names: the input of both payload formats.</summary>
public sealed record EventFacts(
    long EventId,
    NotificationKind Kind,
    DateTimeOffset At,
    string? Team,
    string? Service,
    string Environment,
    int? RequestId,
    string? ImageTag,
    string Actor,
    string Comment);

/// <summary>The bodies webhooks receive and the signature over them.</summary>
public static class WebhookPayloads
{
    public const string SignatureHeader = "X-SelfService-Signature";
    public const string TimestampHeader = "X-SelfService-Timestamp";
    public const string EventIdHeader = "X-SelfService-Event-Id";
    public const string EventTypeHeader = "X-SelfService-Event";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Body(WebhookFormat format, EventFacts facts) => format == WebhookFormat.Slack ? Slack(facts) : Generic(facts);

    /// <summary><c>{"id", "type", "occurredAt", "team", "service", "environment", "request": {"id", "imageTag", "page"}, "actor", "comment"}</c>.</summary>
    public static string Generic(EventFacts facts) => JsonSerializer.Serialize(
        new
        {
            id = facts.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            type = Notifications.TypeName(facts.Kind),
            occurredAt = facts.At,
            team = facts.Team,
            service = facts.Service,
            environment = facts.Environment.Length == 0 ? null : facts.Environment,
            request = facts.RequestId is { } id ? new { id, imageTag = facts.ImageTag, page = $"/requests/{id}" } : null,
            actor = facts.Actor,
            comment = facts.Comment.Length == 0 ? null : facts.Comment,
        },
        Json);

    /// <summary>Slack's incoming-webhook shape: a plain <c>text</c> fallback and one mrkdwn section block.</summary>
    public static string Slack(EventFacts facts)
    {
        var text = Sentence(facts);
        var markdown = new StringBuilder(Escape(text));
        if (facts.Comment.Length > 0)
        {
            markdown.Append("\n>").Append(Escape(facts.Comment).Replace("\n", "\n>", StringComparison.Ordinal));
        }

        return JsonSerializer.Serialize(
            new
            {
                text,
                blocks = new object[]
                {
                    new { type = "section", text = new { type = "mrkdwn", text = markdown.ToString() } },
                    new { type = "context", elements = new object[] { new { type = "mrkdwn", text = Escape($"{Notifications.TypeName(facts.Kind)} · event {facts.EventId}") } } },
                },
            },
            Json);
    }

    /// <summary>"payments/payments-api request #12 succeeded in production (bob)".</summary>
    public static string Sentence(EventFacts facts)
    {
        if (facts.Kind == NotificationKind.Test)
        {
            return $"Test notification for team {facts.Team} from the self-service portal ({facts.Actor}).";
        }

        var subject = facts.Service is null ? $"{facts.Team}" : $"{facts.Team}/{facts.Service}";
        var what = facts.RequestId is { } id ? $" request #{id}" : "";
        var where = facts.Environment.Length == 0 ? "" : $" in {facts.Environment}";
        var tag = facts.ImageTag is null || facts.Kind == NotificationKind.BreakGlass ? "" : $" ({facts.ImageTag})";
        return $"{subject}{what}{tag} {Notifications.Describe(facts.Kind)}{where}, by {facts.Actor}.";
    }

    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256 of the exact body bytes under the hook's secret.</summary>
    public static string Signature(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
