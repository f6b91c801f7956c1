using Portal.Cluster;

namespace Portal.Requests;

/// <summary>Whether a request needs a person's approval before it is applied.</summary>
public static class ApprovalPolicy
{
    public static bool RequiresApproval(DeploymentEnvironment environment) => environment.RequiresApproval;
}
