using Portal.Identity;

namespace Portal.Catalog;

/// <summary>A team's deployable unit: one container image, one Kubernetes Deployment per environment.</summary>
public sealed class Service
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public Team Team { get; set; } = null!;

    public required string Name { get; set; }

    public required string ImageRepository { get; set; }

    public ServiceKind Kind { get; set; }

    /// <summary>The port the container listens on; 0 for a worker.</summary>
    public int ContainerPort { get; set; }

    public string Description { get; set; } = "";

    public string? RepositoryUrl { get; set; }

    public string? RunbookUrl { get; set; }

    public string Contacts { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? ArchivedAt { get; set; }

    public bool IsArchived => ArchivedAt is not null;
}
