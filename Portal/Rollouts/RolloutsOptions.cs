using System.ComponentModel.DataAnnotations;

namespace Portal.Rollouts;

/// <summary>Settings under <c>Rollouts</c>.</summary>
public sealed class RolloutsOptions
{
    public const string Section = "Rollouts";

    /// <summary>Attempts at applying through transient errors (unreachable cluster, 5xx, 429) before the request fails.</summary>
    [Range(1, 100, ErrorMessage = "Rollouts:MaxApplyAttempts must be between 1 and 100.")]
    public int MaxApplyAttempts { get; set; } = 8;

    /// <summary>How many services-and-environments are applied at once (each pair is always one at a time).</summary>
    [Range(1, 64, ErrorMessage = "Rollouts:MaxParallelApplies must be between 1 and 64.")]
    public int MaxParallelApplies { get; set; } = 4;

    /// <summary>How often the worker looks for approved requests when nothing told it about one.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Rollouts:PollInterval must be between 100 ms and 10 minutes.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many of a pod's last log lines the log view starts with.</summary>
    [Range(1, 500, ErrorMessage = "Rollouts:PodLogTailLines must be between 1 and 500.")]
    public int PodLogTailLines { get; set; } = 500;

    /// <summary>The most one log view reads from a pod, in bytes; the stream ends there.</summary>
    [Range(256, 16 * 1024 * 1024, ErrorMessage = "Rollouts:PodLogMaxBytes must be between 256 bytes and 16 MiB.")]
    public int PodLogMaxBytes { get; set; } = 512 * 1024;
}
