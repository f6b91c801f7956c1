using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Portal.Rollouts.Pages;

/// <summary>
/// The rollout page: rendered statically with its layout, answering 403 or 404 like the API does; the rollout itself is
/// the interactive <see cref="Components.RolloutLive"/>, followed live through in-process notifications.
/// </summary>
public partial class RolloutPage
{
    private RolloutView? view;
    private bool forbidden;
    private List<BreadcrumbItem> breadcrumbs = [];

    [Parameter]
    public int RequestId { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>Set while rendering on the server: lets the response carry 403 or 404.</summary>
    [CascadingParameter]
    private HttpContext? HttpContext { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        (view, forbidden) = await Queries.FindAsync((await AuthenticationState).User, RequestId);
        breadcrumbs = view is null
            ? [new("Requests", "/requests"), new($"#{RequestId}", null)]
            : [new("Services", "/services"), new(view.Team, Portal.Components.Shared.PageTrail.TeamHref(view.Team)), new(view.Service, $"/services/{view.Team}/{view.Service}"), new($"Request #{RequestId}", $"/requests/{RequestId}"), new("Rollout", null)];
        if (view is null && HttpContext is { Response.HasStarted: false } http)
        {
            http.Response.StatusCode = forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status404NotFound;
        }
    }
}
