using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Identity;

public static class IdentityExtensions
{
    public const string OidcScheme = "oidc";

    public static void AddPortalIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddCascadingAuthenticationState();
        services.AddIdentity<PortalUser, IdentityRole>(options =>
            {
                options.User.RequireUniqueEmail = false;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddDefaultTokenProviders();

        services.ConfigureApplicationCookie(cookie =>
        {
            // Scripts and the SignalR client get status codes, not a redirect to the sign-in page.
            cookie.Events.OnRedirectToLogin = context => ApiStatusOrRedirect(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => ApiStatusOrRedirect(context, StatusCodes.Status403Forbidden);
            cookie.LoginPath = "/account/signin";
            cookie.LogoutPath = "/account/signout";
            cookie.AccessDeniedPath = "/account/denied";
            cookie.Cookie.Name = "selfservice.auth";
            cookie.SlidingExpiration = true;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
        });

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, PersonalAccessTokenHandler>(PersonalAccessTokens.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, policy => policy.RequireRole(Roles.Admin))
            .AddPolicy(Policies.Api, policy => policy
                .AddAuthenticationSchemes(PersonalAccessTokens.Scheme, IdentityConstants.ApplicationScheme)
                .RequireAuthenticatedUser());

        services.AddScoped<TeamAccess>();
        services.AddScoped<TeamDirectory>();
        services.AddScoped<DemoData>();
        services.AddSingleton<ThemePreference>();
        services.AddSingleton<UserDirectory>();
        services.AddScoped<OidcTeamSync>();
        services.AddScoped<PersonalAccessTokens>();
        services.AddSingleton<AccessTokenCache>();
        services.AddHostedService<AccessTokenCacheAcrossInstances>();
        services.AddSingleton<MembershipCache>();
        services.AddSingleton<UserCircuits>();
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.Section)
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.ClientId), "Authentication:Oidc:ClientId is required when Authentication:Oidc:Authority is set.")
            .Validate(o => !o.Enabled || Uri.TryCreate(o.Authority, UriKind.Absolute, out _), "Authentication:Oidc:Authority must be an absolute URL.")
            .Validate(o => string.IsNullOrWhiteSpace(o.CaCertificateFile) || OidcBackchannel.HoldsCertificates(o.CaCertificateFile), "Authentication:Oidc:CaCertificateFile must name a PEM file holding a certificate.")
            .ValidateOnStart();

        var oidc = builder.Configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new OidcOptions();
        if (oidc.Enabled)
        {
            AddOpenIdConnect(services, oidc);
        }
    }

    private static void AddOpenIdConnect(IServiceCollection services, OidcOptions oidc)
    {
        new AuthenticationBuilder(services).AddOpenIdConnect(OidcScheme, oidc.DisplayName, options =>
        {
            options.Authority = oidc.Authority;
            options.ClientId = oidc.ClientId;
            options.ClientSecret = oidc.ClientSecret;
            options.ResponseType = "code";
            options.BackchannelHttpHandler = string.IsNullOrWhiteSpace(oidc.CaCertificateFile) ? null : OidcBackchannel.TrustingAuthoritiesIn(oidc.CaCertificateFile);
            options.UsePkce = true;
            options.SaveTokens = false;
            options.GetClaimsFromUserInfoEndpoint = true;
            options.MapInboundClaims = false;
            options.Scope.Add("profile");
            options.Scope.Add("email");
            options.ClaimActions.MapJsonKey(oidc.GroupsClaim, oidc.GroupsClaim);
            // The cookie holds the local user (id, Admin role), built from the provider's claims at sign-in.
            options.SignInScheme = IdentityConstants.ApplicationScheme;
            options.Events.OnTokenValidated = async context =>
            {
                var sync = context.HttpContext.RequestServices.GetRequiredService<OidcTeamSync>();
                context.Principal = await sync.SyncAsync(context.Principal!);
            };
        });
    }

    public static void MapAccountEndpoints(this WebApplication app)
    {
        var account = app.MapGroup("/account");
        // A form post from the user menu: without a token another site could sign the user out.
        account.MapPost("/signout", async Task<IResult> (HttpContext context, IAntiforgery antiforgery, SignInManager<PortalUser> signIn) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: "Sign out from the user menu: the form carries an antiforgery token.");
            }

            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/signin");
        });
        // The path ASP.NET Core Identity's own pages use: people and tools try it first.
        account.MapGet("/login", (string? returnUrl) =>
            TypedResults.LocalRedirect($"/account/signin?returnUrl={Uri.EscapeDataString(LocalOnly(returnUrl))}"))
            .AllowAnonymous();
        account.MapGet("/signin/oidc", (string? returnUrl, IOptions<OidcOptions> options) =>
            options.Value.Enabled
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalOnly(returnUrl) }, [OidcScheme])
                : Results.NotFound())
            .AllowAnonymous();
    }

    private static Task ApiStatusOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/hubs"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }

    public static string LocalOnly(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? returnUrl
            : "/";
}
