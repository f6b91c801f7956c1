using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Portal.Registry;

public static class RegistryExtensions
{
    public static void AddRegistry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // "Registries" is a list at the top level, which BindConfiguration cannot bind to a class; and data annotations
        // are not applied to list items, so a validator names each bad key itself.
        services.AddOptions<RegistryOptions>()
            .Configure<IConfiguration>((options, configuration) => configuration.GetSection(RegistryOptions.Section).Bind(options.Registries))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RegistryOptions>, RegistryOptionsValidation>();
        services.AddOptions<ImageCatalogOptions>()
            .BindConfiguration(ImageCatalogOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RegistryTokenCache>();
        services.AddSingleton<RegistryTrust>();
        services.AddSingleton<ImageCatalog>();
        services.AddHttpClient<RegistryClient>((provider, http) =>
            {
                http.Timeout = TimeSpan.FromSeconds(provider.GetRequiredService<IOptions<ImageCatalogOptions>>().Value.RequestTimeoutSeconds);
                http.DefaultRequestHeaders.UserAgent.ParseAdd("selfservice-portal");
            })
            .ConfigurePrimaryHttpMessageHandler(provider => new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = provider.GetRequiredService<RegistryTrust>().Validate,
                // Registries are stateless APIs; a shared cookie jar would only carry one session into the next request.
                UseCookies = false,
            })
            // Authorization carries registry passwords and tokens: never in a log, whatever the log level.
            .RedactLoggedHeaders(_ => true);
    }
}

/// <summary>Names the bad key (<c>Registries:0:Url</c>) so that a wrong setting stops the app at start, not at the first lookup.</summary>
internal sealed class RegistryOptionsValidation : IValidateOptions<RegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, RegistryOptions options)
    {
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Registries.Count; i++)
        {
            var registry = options.Registries[i];
            var key = $"{RegistryOptions.Section}:{i}";
            if (string.IsNullOrWhiteSpace(registry.Name))
            {
                failures.Add($"{key}:Name must name the registry.");
            }
            else if (!names.Add(registry.Name))
            {
                failures.Add($"{key}:Name '{registry.Name}' is configured twice.");
            }

            if (!Uri.TryCreate(registry.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                failures.Add($"{key}:Url must be an absolute http(s) URL.");
                continue;
            }

            if (url.UserInfo.Length > 0)
            {
                failures.Add($"{key}:Url must not carry credentials: set {key}:Username and {key}:Password.");
            }

            if (!string.IsNullOrWhiteSpace(registry.Host) && !IsHostAndPort(registry.Host.Trim()))
            {
                failures.Add($"{key}:Host must be a host name with an optional port, like registry.example.com:5000.");
            }
            else if (!hosts.Add(registry.ImageHost))
            {
                failures.Add($"{key}:Host {registry.ImageHost} is served by another registry already; give each host one entry.");
            }

            if (string.IsNullOrEmpty(registry.Username) != string.IsNullOrEmpty(registry.Password))
            {
                failures.Add($"{key}:Username and {key}:Password must be set together.");
            }

            if (!string.IsNullOrWhiteSpace(registry.CaCertificateFile))
            {
                if (!File.Exists(registry.CaCertificateFile))
                {
                    failures.Add($"{key}:CaCertificateFile names a file that does not exist.");
                }
                else if (!HoldsCertificates(registry.CaCertificateFile))
                {
                    failures.Add($"{key}:CaCertificateFile holds no PEM certificate.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool HoldsCertificates(string file)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(file);
            return certificates.Count > 0;
        }
        catch (Exception exception) when (exception is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsHostAndPort(string value) =>
        Uri.TryCreate("https://" + value, UriKind.Absolute, out var uri) && uri.UserInfo.Length == 0 && uri.PathAndQuery == "/" && !value.Contains('/');
}
