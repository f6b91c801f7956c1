using Bunit;
using Portal.Catalog.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

public sealed class ServiceListTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task GridShowsTheServicesOfEveryTeam()
    {
        await SignInAsAsync("dave");
        RenderPopoverProvider();

        var cut = Render<ServiceList>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("payments-api", cut.Markup);
            Assert.Contains("search-indexer", cut.Markup);
        });
    }

    [Fact]
    public async Task SearchNarrowsTheGridToMatchingServices()
    {
        await SignInAsAsync("dave");
        RenderPopoverProvider();
        var cut = Render<ServiceList>();
        cut.WaitForAssertion(() => Assert.Contains("payments-api", cut.Markup));

        cut.Input("#service-search", "indexer");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("search-indexer", cut.Markup);
            Assert.DoesNotContain("payments-api", cut.Markup);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task MyTeamsFilterLeavesOnlyTheUsersTeams()
    {
        await SignInAsAsync("dave");
        RenderPopoverProvider();
        var cut = Render<ServiceList>();
        cut.WaitForAssertion(() => Assert.Contains("payments-api", cut.Markup));

        cut.Change("#my-teams", true);

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("search-indexer", cut.Markup);
            Assert.DoesNotContain("payments-api", cut.Markup);
        });
    }

    [Fact]
    public async Task SearchWithNoMatchShowsAnEmptyState()
    {
        await SignInAsAsync("dave");
        RenderPopoverProvider();
        var cut = Render<ServiceList>();
        cut.WaitForAssertion(() => Assert.Contains("payments-api", cut.Markup));

        cut.Input("#service-search", "zzz-nothing");

        cut.WaitForAssertion(() => Assert.Contains("No services match", cut.Markup), TimeSpan.FromSeconds(5));
    }
}
