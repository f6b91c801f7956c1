namespace SelfService.Cli;

// The portal's API shapes, as far as the CLI reads them. Unknown fields are ignored, so the portal can add more.

public sealed record RequestResource(
    int Id,
    string Team,
    string Service,
    string Environment,
    string State,
    string Image,
    string ImageTag,
    string? ImageDigest,
    int? BaseRevision,
    int? Revision,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    string Comment,
    IReadOnlyList<string>? Changes,
    IReadOnlyList<string>? Risks,
    IReadOnlyList<DecisionResource>? Decisions,
    string Page);

public sealed record DecisionResource(string Kind, string DecidedBy, string Comment, DateTimeOffset DecidedAt);

public sealed record RequestListItem(int Id, string Team, string Service, string Environment, string State, string ImageTag, int? Revision, string RequestedBy, DateTimeOffset CreatedAt, string Page);

public sealed record ListPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

public sealed record TagResource(string Name, string? Digest, DateTimeOffset? Created);

public sealed record TagsResource(string Repository, string? Registry, IReadOnlyList<TagResource> Tags, bool Truncated, DateTimeOffset FetchedAt);

/// <summary>One rollout snapshot from <c>/hubs/rollouts</c> or <c>GET /api/requests/{id}/rollout</c>.</summary>
public sealed record RolloutSnapshot(
    int RequestId,
    string Phase,
    string Message,
    string? Blocking,
    int Desired,
    int Updated,
    int Ready,
    int Available,
    IReadOnlyList<PodState>? Pods,
    IReadOnlyList<EventLine>? Events,
    string? Blocked)
{
    public bool IsFinal => Phase is "Succeeded" or "Failed";
}

public sealed record PodState(string Name, bool IsNew, string Phase, string? Reason, int Restarts, bool Ready, string? Node);

public sealed record EventLine(DateTimeOffset? At, string Type, string Reason, string Object, string Message, int Count);

/// <summary>The states after which a request will never be applied or never change again.</summary>
public static class RequestStates
{
    public const string AwaitingApproval = "AwaitingApproval";
    public const string Succeeded = "Succeeded";

    public static bool IsUnsuccessfulEnd(string state) =>
        state is "Failed" or "Rejected" or "Superseded" or "Expired" or "Cancelled" or "RolledBack";
}
