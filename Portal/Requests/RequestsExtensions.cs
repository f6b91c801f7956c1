namespace Portal.Requests;

public static class RequestsExtensions
{
    public static void AddRequests(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestsOptions>()
            .BindConfiguration(RequestsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<RequestNotifier>();
        builder.Services.AddSingleton<InboxCounts>();
        builder.Services.AddSingleton<SecretVault>();
        builder.Services.AddSingleton<ImagePinning>();
        builder.Services.AddScoped<RequestService>();
        builder.Services.AddScoped<RequestLifecycle>();
        builder.Services.AddScoped<RequestQueries>();
        builder.Services.AddSingleton<LiveReview>();
        builder.Services.AddSingleton<FindingsCache>();
        builder.Services.AddSingleton<RequestDetailCache>();
        builder.Services.AddSingleton<RequestStamps>();
        builder.Services.AddSingleton<ResourceJson>();
        builder.Services.AddSingleton<Cluster.ClusterRevisions>();
        builder.Services.AddHostedService<ApprovalExpiry>();
        builder.Services.AddOpenApi();
    }

    public static void MapRequests(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapRequestsApi();
    }
}
