using StackExchange.Redis;

namespace Portal.Operations;

public static class ScaleOut
{
    /// <summary>All the instances of one portal share this prefix on Redis (bus channel, kept snapshots, SignalR backplane).</summary>
    public const string RedisPrefix = "selfservice";

    /// <summary>
    /// With <c>ConnectionStrings:Redis</c>: the notifiers reach the other instances through Redis pub/sub and SignalR
    /// uses the Redis backplane. Without it, one instance notifies in process, as it always did.
    /// </summary>
    public static void AddScaleOut(this WebApplicationBuilder builder)
    {
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redis))
        {
            builder.Services.AddSingleton<InstanceBus, InProcessBus>();
            return;
        }

        builder.Services.AddSingleton(provider => new RedisBus(redis, RedisPrefix, provider.GetRequiredService<ILogger<RedisBus>>()));
        builder.Services.AddSingleton<InstanceBus>(provider => provider.GetRequiredService<RedisBus>());
        builder.Services.AddHostedService(provider => provider.GetRequiredService<RedisBus>());
        builder.Services.AddSignalR().AddStackExchangeRedis(redis, options =>
        {
            options.Configuration.ChannelPrefix = RedisChannel.Literal(RedisPrefix);
            options.Configuration.AbortOnConnectFail = false;
        });
    }
}
