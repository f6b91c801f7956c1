using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using Portal.Catalog;
using Portal.Cluster;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>
/// bUnit with MudBlazor's services (popover provider rendered, transitions off) and the portal's real services from a
/// running portal (real SQLite file, seeded demo data), so tests assert what users see and what got stored.
/// </summary>
public abstract class PortalComponentTest : BunitContext, IClassFixture<PortalApp>, IAsyncLifetime
{
    protected PortalComponentTest(PortalApp app)
    {
        App = app;
        // Pages read the real database; on a busy two-core machine that can take longer than bUnit's 1 s default.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.CheckForPopoverProvider = false;
        });
        Services.AddSingleton(app.Get<ServiceCatalog>());
        Services.AddSingleton(app.Get<TeamAccess>());
        Services.AddSingleton(app.Get<TeamDirectory>());
        Services.AddSingleton(app.Get<IOptions<EnvironmentCatalog>>());
        Services.AddSingleton(app.Get<RequestService>());
        Services.AddSingleton(app.Get<LiveReview>());
        Services.AddSingleton(app.Get<RequestLifecycle>());
        Services.AddSingleton(app.Get<RequestQueries>());
        Services.AddSingleton(app.Get<RequestNotifier>());
        Services.AddSingleton(app.Get<InboxCounts>());
        Services.AddSingleton(app.Get<PersonalAccessTokens>());
        Services.AddSingleton(app.Get<Portal.Registry.ImageCatalog>());
        Services.AddSingleton(app.Get<ImagePinning>());
        Services.AddSingleton(app.Get<Portal.Rollouts.EnvironmentStatus>());
        Services.AddSingleton(app.Get<Portal.Rollouts.RolloutNotifier>());
        Services.AddSingleton(app.Get<Portal.Rollouts.RollbackNow>());
        Services.AddSingleton(app.Get<Portal.Rollouts.PodLogs>());
        Services.AddSingleton(app.Get<IOptions<Portal.Rollouts.RolloutsOptions>>());
        Services.AddSingleton(app.Get<TimeProvider>());
        Services.AddSingleton(app.Get<ThemePreference>());
        Services.AddSingleton(app.Get<Portal.Releases.FreezeCalendar>());
        Services.AddSingleton(app.Get<Portal.Releases.FreezeSchedule>());
        Services.AddSingleton(app.Get<Portal.Releases.Promotions>());
        Services.AddSingleton(app.Get<Portal.Releases.AuditQueries>());
        Services.AddSingleton(app.Get<UserDirectory>());
        Services.AddSingleton(app.Get<ClusterHealth>());
        Services.AddSingleton(app.Get<Portal.Cluster.StorageClassCheck>());
        Services.AddSingleton(app.Get<UserCircuits>());
        Services.AddSingleton(app.Get<Portal.Notifications.NotificationFeed>());
        Authorization = AddAuthorization();
    }

    private bool disposedAsynchronously;

    protected PortalApp App { get; }

    protected BunitAuthorizationContext Authorization { get; }

    protected string CurrentUri => Services.GetRequiredService<NavigationManager>().Uri;

    /// <summary>Signs the given demo user in with the same claims the portal issues at sign-in.</summary>
    protected async Task SignInAsAsync(string userName)
    {
        var principal = await App.PrincipalAsync(userName);
        Authorization.SetAuthorized(userName);
        Authorization.SetRoles([.. principal.Claims.Where(c => c.Type == System.Security.Claims.ClaimTypes.Role).Select(c => c.Value)]);
        Authorization.SetClaims([.. principal.Claims.Where(c => c.Type != System.Security.Claims.ClaimTypes.Name && c.Type != System.Security.Claims.ClaimTypes.Role)]);
    }

    protected IRenderedComponent<MudPopoverProvider> RenderPopoverProvider() => Render<MudPopoverProvider>();

    /// <summary>Renders MudBlazor's dialog host; render it before the click that opens a confirmation.</summary>
    protected IRenderedComponent<MudDialogProvider> RenderDialogProvider() => Render<MudDialogProvider>();

    /// <summary>Answers the open confirmation dialog with its confirm button.</summary>
    protected static void Confirm(IRenderedComponent<MudDialogProvider> dialogs) => dialogs.Click("#confirm-ok");

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously; xunit calls this before Dispose.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        disposedAsynchronously = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposedAsynchronously)
        {
            base.Dispose(disposing);
        }
    }
}
