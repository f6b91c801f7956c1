using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Portal.Data;

public static class DataExtensions
{
    public static void AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PortalOptions>()
            .BindConfiguration(PortalOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var dataDirectory = builder.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>()?.DataDirectory ?? "data";
        var directory = Path.GetFullPath(dataDirectory, builder.Environment.ContentRootPath);
        Directory.CreateDirectory(directory);

        var connectionString = builder.Configuration.GetConnectionString("Portal")
            ?? new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "portal.db"), Pooling = true }.ToString();
        builder.Services.AddDbContextFactory<PortalDbContext>(options => options.UseSqlite(connectionString));

        builder.Services.AddDataProtection()
            .SetApplicationName("selfservice-portal")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(directory, "keys")));

        builder.Services.AddHealthChecks()
            .AddDbContextCheck<PortalDbContext>("database", tags: ["ready"]);
    }

    /// <summary>Applies pending migrations and seeds demo data before the app serves its first request.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            // WAL lets readers (every Blazor circuit) proceed while the apply worker writes; the mode is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }

        var logger = app.Services.GetRequiredService<ILogger<PortalDbContext>>();
        var options = app.Services.GetRequiredService<IOptions<PortalOptions>>().Value;
        logger.LogInformation("Data folder {DataDirectory}", options.ResolveDataDirectory(app.Environment.ContentRootPath));

        if (options.SeedDemoData)
        {
            await using var scope = app.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Identity.DemoData>().SeedAsync();
        }
    }
}
