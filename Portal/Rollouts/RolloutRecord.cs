namespace Portal.Rollouts;

/// <summary>What was applied for a request and how its rollout went: kept so a finished rollout can be viewed later.</summary>
public sealed class RolloutRecord
{
    public int RequestId { get; set; }

    public required string Cluster { get; set; }

    public required string Namespace { get; set; }

    /// <summary>The manifests as applied, with secret values redacted.</summary>
    public string AppliedManifests { get; set; } = "";

    /// <summary>The Deployment's metadata.generation returned by the apply: the rollout is ours once observed.</summary>
    public long? AppliedGeneration { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public int ApplyAttempts { get; set; }

    public string? LastError { get; set; }

    public RolloutSnapshot? LastSnapshot { get; set; }

    public List<TimelineEntry> Timeline { get; set; } = [];
}
