using System.Text.Json.Serialization;
using Portal.Operations;

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
        builder.Services.AddScoped<RolloutStreams>();
        builder.Services.AddScoped<RolloutQueries>();
        builder.Services.AddScoped<RollbackNow>();
        builder.Services.AddSingleton<EnvironmentStatus>();
        builder.Services.AddScoped<PodLogs>();
        // Only the leader applies and rolls back (Operations/Leadership.cs); a single instance always leads.
        builder.Services.AddLeaderOnly<ApplyWorker>();
        builder.Services.AddLeaderOnly<AutoRollback>();
        // Enums are words in the API and on the hub, as the request's state is.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        // JSON for scripts (and the default of every SignalR client); MessagePack for clients that ask for it: smaller, and
        // much less work to read for a client of many rollouts.
        builder.Services.AddSignalR()
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .AddMessagePackProtocol(o => o.SerializerOptions = HubMessagePack.Options);
        builder.Services.AddSingleton<RolloutRooms>();
        RolloutHubConnections.Register(builder.Services);
    }

    public static void MapRollouts(this WebApplication app)
    {
        app.MapHub<RolloutHub>("/hubs/rollouts");
        app.MapRollbackApi();
        app.MapPodLogsApi();
    }
}
