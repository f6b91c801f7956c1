namespace Portal.Identity;

/// <summary>Settings under <c>Authentication:Oidc</c>. OpenID Connect sign-in is on when Authority is set.</summary>
public sealed class OidcOptions
{
    public const string Section = "Authentication:Oidc";

    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public string DisplayName { get; set; } = "Single sign-on";

    /// <summary>PEM file of a private CA the provider's HTTPS certificate chains to (besides the system's trust).</summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>The claim that lists the user's groups.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>A group named <c>{team}{ApproverGroupSuffix}</c> makes the user an Approver of that team; <c>{team}</c> a Member.</summary>
    public string ApproverGroupSuffix { get; set; } = "-approvers";

    public string AdminGroup { get; set; } = "portal-admins";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
