namespace Portal.Rollouts;

public static class RolloutsExtensions
{
    public static void AddRollouts(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RolloutsOptions>()
            .BindConfiguration(RolloutsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ClusterWatches>();
        builder.Services.AddSingleton<RolloutNotifier>();
        builder.Services.AddSingleton<RolloutTracker>();
        builder.Services.AddSingleton<ClusterApplier>();
        builder.Services.AddHostedService<ApplyWorker>();
    }
}
