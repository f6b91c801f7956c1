using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Notifications;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Notifications;

public sealed class NotificationBellTests : PortalComponentTest
{
    public NotificationBellTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<NotificationFeed>());
        Services.AddSingleton(app.Get<TeamWebhooks>());
    }

    [Fact]
    public async Task TheBellCountsNewEventsOfTheUsersTeamsLiveAndMarksThemRead()
    {
        var service = await App.RegisterServiceAsync("bell-rings");
        var feed = App.Get<NotificationFeed>();
        await feed.MarkAllReadAsync(await App.PrincipalAsync("bob"));
        await feed.MarkAllReadAsync(await App.PrincipalAsync("dave"));
        await SignInAsAsync("bob");
        var popovers = RenderPopoverProvider();
        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => Assert.Equal("0", bell.Find("#bell").GetAttribute("data-unread")));

        var alice = await App.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();

        // Submitted and awaiting approval, without a reload.
        bell.WaitForAssertion(() => Assert.Equal("2", bell.Find("#bell").GetAttribute("data-unread")), TimeSpan.FromSeconds(30));
        Assert.Equal(0, await feed.UnreadCountAsync(await App.PrincipalAsync("dave")));

        bell.Click("#bell");
        popovers.WaitForAssertion(() => Assert.Contains($"payments/{service.Name} request #{id} awaiting approval in production, by policy.", popovers.Markup));
        popovers.Click("#bell-mark-read");

        bell.WaitForAssertion(() => Assert.Equal("0", bell.Find("#bell").GetAttribute("data-unread")));
        Assert.Equal(0, await feed.UnreadCountAsync(await App.PrincipalAsync("bob")));
        Assert.True(await App.WithDbAsync(db => db.NotificationReads.AnyAsync(r => r.LastReadEventId > 0)));
    }
}
