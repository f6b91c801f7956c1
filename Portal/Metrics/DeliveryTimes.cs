using Portal.Requests;

namespace Portal.Metrics;

/// <summary>Stamps the times delivery metrics measure on a request, as it moves (in the transition's transaction).</summary>
public static class DeliveryTimes
{
    public static void Record(DeploymentRequest request, RequestState to, DateTimeOffset now)
    {
        switch (to)
        {
            case RequestState.Approved or RequestState.Rejected when request.State == RequestState.AwaitingApproval:
                request.DecidedAt = now;
                request.ApprovalWaitSeconds = Seconds(now - request.CreatedAt);
                break;
            case RequestState.Succeeded:
                request.HealthyAt = now;
                request.LeadTimeSeconds = Seconds(now - request.CreatedAt);
                break;
            case RequestState.Failed:
                request.FailedAt = now;
                break;
        }
    }

    private static long Seconds(TimeSpan span) => Math.Max(0, (long)Math.Round(span.TotalSeconds));
}
