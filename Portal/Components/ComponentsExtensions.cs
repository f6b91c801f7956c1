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

    public static void MapPortalUi(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode()
            .RequireAuthorization()
            .Add(endpoint =>
            {
                // blazor.web.js asks for the JS initializers on every page, the anonymous ones (sign-in, not found) too: a
                // redirect to sign-in answered HTML and failed the script. The list names public script files only.
                if (endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } route } && route.EndsWith("_blazor/initializers", StringComparison.Ordinal))
                {
                    endpoint.Metadata.Add(new AllowAnonymousAttribute());
                }
            });
    }
}
