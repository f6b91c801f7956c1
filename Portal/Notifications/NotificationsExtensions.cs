using Microsoft.Extensions.Options;

namespace Portal.Notifications;

public static class NotificationsExtensions
{
    public static void AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NotificationsOptions>()
            .BindConfiguration(NotificationsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Retries are rows in the outbox (see WebhookDispatcher), not in-process policies: they survive a restart.
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectCallback = WebhookTargets.Connect(services.GetRequiredService<IOptionsMonitor<NotificationsOptions>>()),
            });
        builder.Services.AddSingleton<WebhookSecrets>();
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddScoped<TeamWebhooks>();
        builder.Services.AddScoped<NotificationFeed>();
    }

    public static void MapNotifications(this WebApplication app) => app.MapWebhooksApi();
}
