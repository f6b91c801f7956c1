using System.ComponentModel.DataAnnotations;

namespace Portal.Notifications;

/// <summary>Settings under <c>Notifications</c>.</summary>
public sealed class NotificationsOptions
{
    public const string Section = "Notifications";

    /// <summary>How often the dispatcher looks at the outbox when no transition woke it (other instances, retries).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "Notifications:PollInterval must be between 50 ms and 10 minutes.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait before the first retry; each further retry waits twice as long (with jitter), up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Notifications:RetryBaseDelay must be between 10 ms and 1 hour.")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "Notifications:MaxRetryDelay must be between 10 ms and 1 day.")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts (the first included) before a delivery is given up.</summary>
    [Range(1, 50, ErrorMessage = "Notifications:MaxAttempts must be between 1 and 50.")]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>How long a claimed delivery stays with its dispatcher; after that (a crashed instance) another may send it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Notifications:LeaseDuration must be between 1 second and 1 hour.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one HTTP attempt may take; must stay well below <see cref="LeaseDuration"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Notifications:Timeout must be between 100 ms and 5 minutes.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether hooks may post to loopback, link-local (cloud metadata), private and other internal addresses. Off by
    /// default: a team's hook must not reach into the portal's own network. Checked when a hook is made and at delivery.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }
}
