using Microsoft.Extensions.Options;

namespace Portal.Requests;

/// <summary>Expires requests that waited too long for an approval, so a stale change can never be approved by accident.</summary>
public sealed class ApprovalExpiry(IServiceScopeFactory scopes, IOptions<RequestsOptions> options, TimeProvider time, ILogger<ApprovalExpiry> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpiryCheckInterval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var expired = await scope.ServiceProvider.GetRequiredService<RequestLifecycle>().ExpireOverdueAsync(stoppingToken);
                if (expired > 0)
                {
                    logger.LogInformation("{Count} requests expired waiting for approval", expired);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Checking requests for expiry failed; trying again at the next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
