using System.ComponentModel.DataAnnotations;

namespace Portal;

/// <summary>Settings under <c>Portal</c>: where the embedded mode keeps its state.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Holds the SQLite file and the Data Protection keys; relative paths are under the content root.</summary>
    [Required(ErrorMessage = "Portal:DataDirectory must name a folder.")]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Demo teams and users with a known password: for trying the portal out, never for production.</summary>
    public bool SeedDemoData { get; set; } = true;

    /// <summary>
    /// With demo data on a fresh database: five services deployed through the request path in the background, with a
    /// rollout in progress, a failed one and a request waiting for bob. Off has the demo teams and users only.
    /// </summary>
    public bool DemoActivity { get; set; } = true;

    /// <summary>
    /// Stack traces in error pages and API error bodies: off in every environment (Development included) unless set, as
    /// they show the code's insides to whoever sends a bad request. Read at start-up.
    /// </summary>
    public bool ShowExceptionDetails { get; set; }

    public string ResolveDataDirectory(string contentRoot) => Path.GetFullPath(DataDirectory, contentRoot);
}
