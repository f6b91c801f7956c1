using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Identity;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

/// <summary>No identity provider runs here: these check the scheme is wired from configuration and the groups mapping.</summary>
public sealed class OidcTests : IAsyncLifetime
{
    private PortalApp app = null!;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(
        ("Authentication:Oidc:Authority", "https://idp.example.com/realms/acme"),
        ("Authentication:Oidc:ClientId", "selfservice"),
        ("Authentication:Oidc:ClientSecret", "s3cret"),
        ("Authentication:Oidc:GroupsClaim", "roles"),
        ("Authentication:Oidc:DisplayName", "Acme SSO"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ConfiguredAuthorityRegistersTheOpenIdConnectScheme()
    {
        var scheme = await app.Get<IAuthenticationSchemeProvider>().GetSchemeAsync(IdentityExtensions.OidcScheme);
        var options = app.Get<IOptionsMonitor<OpenIdConnectOptions>>().Get(IdentityExtensions.OidcScheme);

        Assert.NotNull(scheme);
        Assert.Equal(typeof(OpenIdConnectHandler), scheme.HandlerType);
        Assert.Equal("https://idp.example.com/realms/acme", options.Authority);
        Assert.Equal("selfservice", options.ClientId);
        Assert.Equal("code", options.ResponseType);
        Assert.True(options.UsePkce);
    }

    [Fact]
    public async Task SignInPageOffersSingleSignOnAndTheChallengeGoesToTheProvider()
    {
        var page = await app.CreateBrowserlikeClient().GetStringAsync("/account/signin");

        Assert.Contains("Sign in with Acme SSO", page);
    }

    [Fact]
    public async Task GroupsClaimBecomesTeamMembershipsAndAdminRole()
    {
        var principal = await ValidateTokenAsync("sub-123", "erin", "payments-approvers", "search", "portal-admins", "unknown-team");

        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var memberships = await app.WithDbAsync(db => db.TeamMembers.Where(m => m.UserId == userId).OrderBy(m => m.Team.Name).Select(m => new { m.Team.Name, m.Role }).ToListAsync());
        Assert.Equal("erin", principal.Identity!.Name);
        Assert.True(principal.IsInRole(Roles.Admin));
        Assert.Equal([("payments", TeamRole.Approver), ("search", TeamRole.Member)], memberships.Select(m => (m.Name, m.Role)));
    }

    [Fact]
    public async Task LaterSignInFollowsChangedGroups()
    {
        await ValidateTokenAsync("sub-456", "frank", "payments", "portal-admins");

        var principal = await ValidateTokenAsync("sub-456", "frank", "search");

        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var teams = await app.WithDbAsync(db => db.TeamMembers.Where(m => m.UserId == userId).Select(m => m.Team.Name).ToListAsync());
        Assert.False(principal.IsInRole(Roles.Admin));
        Assert.Equal(["search"], teams);
    }

    [Fact]
    public async Task MembershipChangesFromGroupsAreAuditedLikeAnAdminsAndAnUnchangedSignInAddsNothing()
    {
        await ValidateTokenAsync("sub-789", "grace", "payments", "search-approvers");
        await ValidateTokenAsync("sub-789", "grace", "payments", "search-approvers");
        await ValidateTokenAsync("sub-789", "grace", "payments-approvers");

        var audit = await app.WithDbAsync(db => db.AuditEvents
            .Where(e => e.Kind == Portal.Requests.AuditSubject.Member && e.Subject.EndsWith("/grace"))
            .OrderBy(e => e.Id)
            .Select(e => new { e.Subject, e.Action, e.Actor, e.Comment, e.TeamId })
            .ToListAsync());
        // Four changes in all: the unchanged second sign-in recorded none.
        Assert.Equal(
            [("payments/grace", "Added"), ("payments/grace", "RoleChanged"), ("search/grace", "Added"), ("search/grace", "Removed")],
            audit.Select(e => (e.Subject, e.Action)).Order().ToList());
        Assert.All(audit, e => Assert.Equal(OidcTeamSync.AuditActor, e.Actor));
        Assert.All(audit, e => Assert.NotNull(e.TeamId));
        Assert.Contains("Member -> Approver", audit.Single(e => e.Action == "RoleChanged").Comment);
        Assert.Contains("Role Approver", audit.Single(e => e is { Action: "Added", Subject: "search/grace" }).Comment);
    }

    [Fact]
    public async Task OnlyASignInThatChangesRolesOrMembershipsForgetsTheUser()
    {
        // Forgetting a user reloads their open pages (UserCircuits): a sign-in elsewhere that changes nothing must not.
        var first = await ValidateTokenAsync("sub-321", "heidi", "payments");
        var heidi = first.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var forgotten = new List<string>();
        var cache = app.Get<AccessTokenCache>();
        void Heard(string userId)
        {
            if (userId == heidi)
            {
                lock (forgotten)
                {
                    forgotten.Add(userId);
                }
            }
        }

        cache.UserForgotten += Heard;
        try
        {
            await ValidateTokenAsync("sub-321", "heidi", "payments");
            Assert.Empty(forgotten);

            await ValidateTokenAsync("sub-321", "heidi", "payments-approvers");
            Assert.Single(forgotten);

            await ValidateTokenAsync("sub-321", "heidi", "payments-approvers", "portal-admins");
            Assert.Equal(2, forgotten.Count);
        }
        finally
        {
            cache.UserForgotten -= Heard;
        }
    }

    private async Task<ClaimsPrincipal> ValidateTokenAsync(string subject, string userName, params string[] groups)
    {
        var options = app.Get<IOptionsMonitor<OpenIdConnectOptions>>().Get(IdentityExtensions.OidcScheme);
        var scheme = (await app.Get<IAuthenticationSchemeProvider>().GetSchemeAsync(IdentityExtensions.OidcScheme))!;
        var claims = new List<Claim> { new("sub", subject), new("preferred_username", userName), new("name", userName) };
        claims.AddRange(groups.Select(g => new Claim("roles", g)));
        await using var scope = app.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var context = new Microsoft.AspNetCore.Authentication.OpenIdConnect.TokenValidatedContext(
            http, scheme, options, new ClaimsPrincipal(new ClaimsIdentity(claims, "oidc")), new AuthenticationProperties());

        await options.Events.TokenValidated(context);

        return context.Principal!;
    }
}
