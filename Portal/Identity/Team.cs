namespace Portal.Identity;

public sealed class Team
{
    public int Id { get; set; }

    /// <summary>DNS-1123 label: it becomes part of namespace names.</summary>
    public required string Name { get; set; }

    public string DisplayName { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public List<TeamMember> Members { get; } = [];
}

public enum TeamRole
{
    Member,
    Approver,
}

public sealed class TeamMember
{
    public int TeamId { get; set; }

    public Team Team { get; set; } = null!;

    public required string UserId { get; set; }

    public PortalUser User { get; set; } = null!;

    public TeamRole Role { get; set; }
}
