using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
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

        var database = Read<DatabaseOptions>(builder.Configuration, DatabaseOptions.Section);
        var connectionString = builder.Configuration.GetConnectionString("Portal");
        switch (database.Provider)
        {
            case DatabaseProvider.Postgres:
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new InvalidOperationException("Database:Provider is Postgres, so ConnectionStrings:Portal must name the PostgreSQL database (Host=...;Database=...;Username=...;Password=...).");
                }

                builder.Services.AddPortalDbContext<PostgresPortalDbContext>(options => options.UseNpgsql(connectionString));
                break;
            default:
                connectionString ??= new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "portal.db"), Pooling = true }.ToString();
                builder.Services.AddPortalDbContext<SqlitePortalDbContext>(options => options.UseSqlite(connectionString).AddInterceptors(SqliteSynchronousNormal.Instance));
                break;
        }

        builder.AddKeyRing(directory, database.Provider);

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
            await db.AfterMigrateAsync();
        }

        var logger = app.Services.GetRequiredService<ILogger<PortalDbContext>>();
        var options = app.Services.GetRequiredService<IOptions<PortalOptions>>().Value;
        logger.LogInformation("Data folder {DataDirectory}", options.ResolveDataDirectory(app.Environment.ContentRootPath));
        var keyRing = Read<KeyRingOptions>(app.Configuration, KeyRingOptions.Section);
        if (string.IsNullOrWhiteSpace(keyRing.CertificateFile) && app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>() is PortalDbContextFactory<PostgresPortalDbContext> && keyRing.Store != KeyStore.Folder)
        {
            logger.LogWarning("Data Protection keys are stored in the database unencrypted: set DataProtection:CertificateFile");
        }

        if (options.SeedDemoData)
        {
            await using var scope = app.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Identity.DemoData>().SeedAsync();
        }
    }

    /// <summary>
    /// Registers the engine's context and exposes it as <see cref="PortalDbContext"/> (factory and scoped), the only type
    /// the rest of the portal uses.
    /// </summary>
    private static void AddPortalDbContext<TContext>(this IServiceCollection services, Action<DbContextOptionsBuilder> configure)
        where TContext : PortalDbContext
    {
        // Pooled: a context is reset and reused instead of built for each query (the contexts hold no state of their own).
        services.AddPooledDbContextFactory<TContext>((provider, options) =>
        {
            configure(options);
            // Settings other features add for PortalDbContext (e.g. Operations' metrics interceptor) apply to every engine.
            foreach (var configuration in provider.GetServices<IDbContextOptionsConfiguration<PortalDbContext>>())
            {
                configuration.Configure(provider, options);
            }
        });
        services.AddSingleton<IDbContextFactory<PortalDbContext>>(provider => new PortalDbContextFactory<TContext>(provider.GetRequiredService<IDbContextFactory<TContext>>()));
        services.AddScoped<PortalDbContext>(provider => provider.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext());
    }

    private static void AddKeyRing(this WebApplicationBuilder builder, string dataDirectory, DatabaseProvider provider)
    {
        var options = Read<KeyRingOptions>(builder.Configuration, KeyRingOptions.Section);
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("selfservice-portal");
        var store = options.Store ?? (provider == DatabaseProvider.Postgres ? KeyStore.Database : KeyStore.Folder);
        if (store == KeyStore.Database)
        {
            dataProtection.PersistKeysToDbContext<PortalDbContext>();
        }
        else
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        }

        if (!string.IsNullOrWhiteSpace(options.CertificateFile))
        {
            var certificate = LoadCertificate(options, builder.Environment.ContentRootPath);
            // Unprotect with the certificate itself: on Linux there is no machine store where the decryptor would find it.
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
    }

    internal static X509Certificate2 LoadCertificate(KeyRingOptions options, string contentRoot)
    {
        var path = Path.GetFullPath(options.CertificateFile!, contentRoot);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"DataProtection:CertificateFile names '{path}', which does not exist.");
        }

        var keyPath = string.IsNullOrWhiteSpace(options.CertificateKeyFile) ? null : Path.GetFullPath(options.CertificateKeyFile, contentRoot);
        if (keyPath is not null && !File.Exists(keyPath))
        {
            throw new InvalidOperationException($"DataProtection:CertificateKeyFile names '{keyPath}', which does not exist.");
        }

        X509Certificate2 certificate;
        try
        {
            var password = string.IsNullOrEmpty(options.CertificatePassword) ? null : options.CertificatePassword;
            var isPem = keyPath is not null || File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal);
            certificate = (isPem, password) switch
            {
                (true, null) => X509Certificate2.CreateFromPemFile(path, keyPath),
                (true, _) => X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath),
                _ => X509CertificateLoader.LoadPkcs12FromFile(path, password),
            };
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException(
                $"DataProtection:CertificateFile '{path}' is not a PFX or PEM certificate with its private key that can be read with DataProtection:CertificatePassword ({e.Message}).",
                e);
        }

        if (!certificate.HasPrivateKey || certificate.GetRSAPublicKey() is null)
        {
            throw new InvalidOperationException($"DataProtection:CertificateFile '{path}' must be an RSA certificate with its private key (a PEM key goes in DataProtection:CertificateKeyFile).");
        }

        return certificate;
    }

    private static T Read<T>(IConfiguration configuration, string section)
        where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"The {section} settings are invalid: {e.InnerException?.Message ?? e.Message}", e);
        }
    }
}

/// <summary>An engine's context factory seen as the <see cref="PortalDbContext"/> factory the portal's services take.</summary>
public sealed class PortalDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<PortalDbContext>
    where TContext : PortalDbContext
{
    public PortalDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}
