using System.ComponentModel.DataAnnotations;

namespace Portal.Registry;

/// <summary>The registries under <c>Registries</c> (a list): which hosts the portal may ask for tags, and how.</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registries";

    public List<RegistryEndpoint> Registries { get; set; } = [];
}

/// <summary>
/// One configured registry. Credentials come from configuration or environment variables
/// (<c>Registries__0__Password</c>) and are never stored in the database nor logged.
/// </summary>
public sealed class RegistryEndpoint
{
    /// <summary>Shown to users ("the registry 'harbor' is unreachable") and used in log messages.</summary>
    public string Name { get; set; } = "";

    /// <summary>Where the distribution API answers, e.g. <c>https://registry.example.com</c> or <c>http://127.0.0.1:5000</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// The host[:port] that image references use for this registry, when it is not the URL's own:
    /// <c>docker.io</c> for Docker Hub (whose API is at registry-1.docker.io), or a mirror's public name.
    /// </summary>
    public string? Host { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Accepts any TLS certificate. For a lab registry only.</summary>
    public bool Insecure { get; set; }

    /// <summary>A PEM file with the CA certificate(s) that signed the registry's TLS certificate.</summary>
    public string? CaCertificateFile { get; set; }

    internal bool HasCredentials => !string.IsNullOrEmpty(Username) && !string.IsNullOrEmpty(Password);

    /// <summary>The API root with a trailing slash, so that <c>v2/...</c> resolves under any path prefix.</summary>
    internal Uri BaseUri => new(Url.EndsWith('/') ? Url : Url + "/");

    /// <summary>The host[:port] image references name this registry by.</summary>
    internal string ImageHost => (string.IsNullOrWhiteSpace(Host) ? BaseUri.Authority : Host.Trim()).ToLowerInvariant();

    // A record's generated ToString would print the password wherever an endpoint is logged or interpolated.
    public override string ToString() => Name;
}

/// <summary>Settings under <c>ImageCatalog</c>: how long answers are reused and how hard the registry is asked.</summary>
public sealed class ImageCatalogOptions
{
    public const string Section = "ImageCatalog";

    /// <summary>How long a tag list or a tag's digest is reused, so that the picker does not ask the registry per keystroke.</summary>
    [Range(0, 3600, ErrorMessage = "ImageCatalog:CacheSeconds must be between 0 and 3600.")]
    public int CacheSeconds { get; set; } = 45;

    [Range(1, 300, ErrorMessage = "ImageCatalog:RequestTimeoutSeconds must be between 1 and 300.")]
    public int RequestTimeoutSeconds { get; set; } = 10;

    /// <summary>The <c>n</c> asked for per page of the tag list; registries may answer with fewer.</summary>
    [Range(1, 10000, ErrorMessage = "ImageCatalog:TagPageSize must be between 1 and 10000.")]
    public int TagPageSize { get; set; } = 200;

    /// <summary>Stops following <c>Link</c> pages after this many tags; the listing says it was cut.</summary>
    [Range(1, 100000, ErrorMessage = "ImageCatalog:MaxTags must be between 1 and 100000.")]
    public int MaxTags { get; set; } = 5000;

    /// <summary>How many tags get their digest and created time looked up per listing (the rest are listed by name only).</summary>
    [Range(0, 5000, ErrorMessage = "ImageCatalog:MaxTagDetails must be between 0 and 5000.")]
    public int MaxTagDetails { get; set; } = 100;

    /// <summary>How many manifest and config requests one listing may have open at once.</summary>
    [Range(1, 64, ErrorMessage = "ImageCatalog:MaxConcurrentRequests must be between 1 and 64.")]
    public int MaxConcurrentRequests { get; set; } = 4;

    internal TimeSpan CacheDuration => TimeSpan.FromSeconds(CacheSeconds);
}
