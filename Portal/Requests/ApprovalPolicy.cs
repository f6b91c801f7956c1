using Portal.Cluster;

namespace Portal.Requests;

/// <summary>What is asked of the policy.</summary>
public enum ApprovalAsk
{
    /// <summary>A new request from the form or the API.</summary>
    Deploy,

    /// <summary>A person rolls back to an earlier revision.</summary>
    Rollback,

    /// <summary>The portal rolls back after a failed rollout, with nobody asking.</summary>
    AutomaticRollback,

    /// <summary>The apply worker is about to apply an approved request.</summary>
    Apply,

    /// <summary>An eligible approver approves a waiting request.</summary>
    Approve,
}

public enum ApprovalRoute
{
    /// <summary>Approved by the policy at once.</summary>
    ApproveNow,

    /// <summary>An eligible approver (not the requester) decides.</summary>
    ApproverDecides,

    /// <summary>Not allowed now, whoever approves (e.g. a freeze window).</summary>
    Refused,
}

/// <summary>The policy's answer, always with the reason people are shown.</summary>
public sealed record ApprovalAnswer(ApprovalRoute Route, string Reason)
{
    public static ApprovalAnswer ApproveNow(string reason) => new(ApprovalRoute.ApproveNow, reason);

    public static ApprovalAnswer ApproverDecides(string reason) => new(ApprovalRoute.ApproverDecides, reason);

    public static ApprovalAnswer Refused(string reason) => new(ApprovalRoute.Refused, reason);
}

/// <param name="At">When it is asked: rules that depend on time (freeze windows) read it.</param>
/// <param name="Request">For <see cref="ApprovalAsk.Apply"/> and <see cref="ApprovalAsk.Approve"/>: the request acted on.</param>
/// <param name="Freeze">The freeze window in force in the environment at <paramref name="At"/>, if any.</param>
/// <param name="BreakGlassReason">Why an Admin breaks a freeze for this submit (the caller checked the Admin role).</param>
public sealed record ApprovalQuestion(
    DeploymentEnvironment Environment,
    ApprovalAsk Ask,
    DateTimeOffset At,
    int? RollbackToRevision = null,
    DeploymentRequest? Request = null,
    Releases.ActiveFreeze? Freeze = null,
    string? BreakGlassReason = null);

/// <summary>
/// The one place that answers "approve now (why) / an approver decides / refused (why)" for a submit, a rollback, an
/// automatic rollback and at apply time. Pages and the review read it too, never the environment's settings directly.
/// Rules that refuse (freeze windows, promotion rules) are added here.
/// </summary>
public static class ApprovalPolicy
{
    public static ApprovalAnswer Decide(ApprovalQuestion question)
    {
        var environment = question.Environment;
        if (Frozen(question) is { } refused)
        {
            return refused;
        }

        return question.Ask switch
        {
            ApprovalAsk.AutomaticRollback => ApprovalAnswer.ApproveNow("Automatic rollback after a failed rollout."),
            ApprovalAsk.Approve => ApprovalAnswer.ApproveNow("An eligible approver decides."),
            ApprovalAsk.Apply => AtApply(question.Request ?? throw new ArgumentException("Apply needs the request.", nameof(question))),
            _ when !environment.RequiresApproval => ApprovalAnswer.ApproveNow($"{environment.Name} needs no approval."),
            ApprovalAsk.Rollback when environment.RollbackSkipsApproval =>
                ApprovalAnswer.ApproveNow($"Rollback to revision {question.RollbackToRevision}, which was approved before."),
            _ => ApprovalAnswer.ApproverDecides($"{environment.Name} requires an approval."),
        };
    }

    /// <summary>Whether a new deploy to <paramref name="environment"/> waits for an approver: for pages and the review.</summary>
    public static bool ApproverDecidesDeploys(DeploymentEnvironment environment, DateTimeOffset at) =>
        Decide(new ApprovalQuestion(environment, ApprovalAsk.Deploy, at)).Route == ApprovalRoute.ApproverDecides;

    /// <summary>
    /// During a freeze nothing is submitted, approved or applied, unless an Admin broke the glass for the request (with a
    /// reason) or it is the portal's own rollback after a failure and the environment allows that.
    /// </summary>
    private static ApprovalAnswer? Frozen(ApprovalQuestion question)
    {
        if (question.Freeze is not { } freeze)
        {
            return null;
        }

        if (question.Ask == ApprovalAsk.AutomaticRollback)
        {
            return question.Environment.AllowAutomaticRollbackDuringFreeze
                ? null
                : ApprovalAnswer.Refused($"{freeze.Describe()}. Automatic rollback is not allowed during a freeze in {question.Environment.Name}.");
        }

        if (!string.IsNullOrWhiteSpace(question.BreakGlassReason) || !string.IsNullOrWhiteSpace(question.Request?.BreakGlassReason))
        {
            return null;
        }

        var what = question.Ask switch
        {
            ApprovalAsk.Apply => $"Request #{question.Request?.Id} is not applied",
            ApprovalAsk.Approve => "It cannot be approved now",
            _ => "Nothing can be submitted now",
        };
        return ApprovalAnswer.Refused($"{freeze.Describe()}. {what}; an Admin can break the glass with a reason.");
    }

    /// <summary>An approval is bound to the exact change: the approving decision must carry the spec's hash.</summary>
    private static ApprovalAnswer AtApply(DeploymentRequest request)
    {
        var hash = request.Spec.Hash();
        var approval = request.Decisions.Where(d => d.Kind == DecisionKind.Approved).MaxBy(d => d.DecidedAt);
        if (approval is null)
        {
            return ApprovalAnswer.Refused($"Request #{request.Id} has no approval.");
        }

        return approval.SpecHash == hash && request.SpecHash == hash
            ? ApprovalAnswer.ApproveNow($"Approved by {approval.DecidedBy}.")
            : ApprovalAnswer.Refused($"The approval by {approval.DecidedBy} was given to another change than the one stored: request #{request.Id} is not applied.");
    }
}
