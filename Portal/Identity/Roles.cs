namespace Portal.Identity;

public static class Roles
{
    /// <summary>Global: sees and changes every team's services and approves any request.</summary>
    public const string Admin = "Admin";
}

public static class Policies
{
    public const string Admin = "Admin";

    /// <summary>REST API and hubs: a personal access token or the sign-in cookie.</summary>
    public const string Api = "Api";
}
