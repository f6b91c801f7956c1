using Microsoft.AspNetCore.Authorization;
using MudBlazor.Services;

namespace Portal.Components;

public static class ComponentsExtensions
{
    public static void AddPortalUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
    }

    // blazor.web.js asks for the JS initializers on every page, the anonymous ones (sign-in, not found) too: a redirect to
    // sign-in answered HTML and failed the script. The list names public script files only.
    private static readonly AuthorizationPolicy SignedInOrScriptInitializers = new AuthorizationPolicyBuilder()
        .RequireAssertion(context => context.User.Identity?.IsAuthenticated == true
            || (context.Resource is HttpContext http && http.Request.Path.Equals("/_blazor/initializers", StringComparison.OrdinalIgnoreCase)))
        .Build();

    public static void MapPortalUi(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode()
            .RequireAuthorization(SignedInOrScriptInitializers);
    }
}
