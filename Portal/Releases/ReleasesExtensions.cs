namespace Portal.Releases;

public static class ReleasesExtensions
{
    public static void AddReleases(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FreezeCalendar>();
        builder.Services.AddSingleton<Promotions>();
        builder.Services.AddSingleton<FreezeSchedule>();
        builder.Services.AddSingleton<AuditQueries>();
    }

    public static void MapReleases(this WebApplication app) => app.MapReleasesApi();
}
