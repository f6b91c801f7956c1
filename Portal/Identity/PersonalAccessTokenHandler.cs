using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Portal.Identity;

/// <summary>
/// <c>Authorization: Bearer pat_...</c>: the request acts as the token's owner, with the same roles and memberships the
/// owner has right now (memberships are read from the database on each check; the principal is cached briefly and
/// forgotten at once on revoke or a role change). Password lockout does not apply: it guards the password, and a token
/// is a separate credential that its owner can revoke. What only a lookup needs (the token store, the user manager, the
/// sign-in manager: scoped, and costly to build) is resolved on a cache miss only, not on every call.
/// </summary>
public sealed class PersonalAccessTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokenCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string secret;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            secret = header["Bearer ".Length..].Trim();
        }
        else if (Request.Path.StartsWithSegments("/hubs") && Request.Query["access_token"] is [{ } token])
        {
            // Browsers cannot set headers on a WebSocket: SignalR clients send the token in the query string instead.
            secret = token;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        if (!secret.StartsWith(PersonalAccessTokens.TokenPrefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.NoResult();
        }

        var hash = PersonalAccessTokens.HashOf(secret);
        // For what outlives this request (a hub connection): closed when the token is revoked.
        Context.Items[PersonalAccessTokens.HashItem] = hash;
        if (cache.Find(hash) is { } cached)
        {
            return AuthenticateResult.Success(new AuthenticationTicket(cached, Scheme.Name));
        }

        var generation = cache.Generation;
        var services = Context.RequestServices;
        var tokens = services.GetRequiredService<PersonalAccessTokens>();
        var users = services.GetRequiredService<UserManager<PortalUser>>();
        var owner = await tokens.OwnerOfAsync(secret, Context.RequestAborted);
        var user = owner is null ? null : await users.FindByIdAsync(owner.UserId);
        if (user is null)
        {
            return AuthenticateResult.Fail("The access token is unknown, revoked or expired.");
        }

        var principal = await services.GetRequiredService<SignInManager<PortalUser>>().CreateUserPrincipalAsync(user);
        var identity = new ClaimsPrincipal(new ClaimsIdentity(principal.Claims, Scheme.Name, ClaimTypes.Name, ClaimTypes.Role));
        cache.Remember(hash, user.Id, identity, owner!.ExpiresAt, generation);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity.Identities.Select(i => i.Clone())), Scheme.Name));
    }
}
