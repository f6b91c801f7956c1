using Microsoft.AspNetCore.Identity;

namespace Portal.Identity;

public sealed class PortalUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    public List<TeamMember> Memberships { get; } = [];
}
