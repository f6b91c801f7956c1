namespace Portal.Demo;

public static class DemoExtensions
{
    /// <summary>The demo's living system (<see cref="DemoActivity"/>), when demo data and demo activity are both on.</summary>
    public static void AddDemo(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions();
        if (options.SeedDemoData && options.DemoActivity)
        {
            builder.Services.AddSingleton<DemoActivity>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DemoActivity>());
        }
    }
}
