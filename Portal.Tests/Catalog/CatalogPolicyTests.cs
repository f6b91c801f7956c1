using System.Net;
using Portal.Catalog;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Catalog;

public sealed class CatalogPolicyTests(PortalApp app) : IClassFixture<PortalApp>
{
    private ServiceCatalog Catalog => app.Get<ServiceCatalog>();

    [Fact]
    public async Task MemberOfAnotherTeamCannotEditAPaymentsService()
    {
        var service = (await Catalog.FindAsync("payments", "payments-api"))!;
        var form = ServiceForm.From(service);
        form.Description = "changed by dave";

        var outcome = await Catalog.UpdateAsync(await app.PrincipalAsync("dave"), service.Id, form);

        Assert.Equal(OutcomeKind.Forbidden, outcome.Kind);
        Assert.Equal("Card payments API", (await Catalog.FindAsync("payments", "payments-api"))!.Description);
    }

    [Fact]
    public async Task AdminCanEditAnyTeamsService()
    {
        var service = (await Catalog.FindAsync("search", "search-indexer"))!;
        var form = ServiceForm.From(service);
        form.Contacts = "#search-oncall";

        var outcome = await Catalog.UpdateAsync(await app.PrincipalAsync("carol"), service.Id, form);

        Assert.True(outcome.Succeeded, outcome.Message);
        Assert.Equal("#search-oncall", (await Catalog.FindAsync("search", "search-indexer"))!.Contacts);
    }

    [Fact]
    public async Task MemberCannotRegisterAServiceForAnotherTeam()
    {
        var outcome = await Catalog.RegisterAsync(await app.PrincipalAsync("dave"), new ServiceForm { Name = "sneaky", Team = "payments", ImageRepository = "registry.example.com/payments/sneaky" });

        Assert.Equal(OutcomeKind.Forbidden, outcome.Kind);
        Assert.Null(await Catalog.FindAsync("payments", "sneaky"));
    }

    [Fact]
    public async Task EditPageTellsAnOutsiderTheyCannotChangeTheService()
    {
        var dave = await app.SignedInClientAsync("dave");
        var carol = await app.SignedInClientAsync("carol");

        var davesPage = await dave.GetStringAsync("/services/payments/payments-api/edit");
        var carolsPage = await carol.GetStringAsync("/services/payments/payments-api/edit");

        Assert.Contains("Only members of payments can change payments-api.", davesPage);
        Assert.DoesNotContain("service-save", davesPage);
        Assert.Contains("service-save", carolsPage);
    }

    [Fact]
    public async Task AdminPagesAreForAdminsOnly()
    {
        var alice = await app.SignedInClientAsync("alice");
        var carol = await app.SignedInClientAsync("carol");

        var alicesResponse = await alice.GetAsync("/admin/teams");
        var carolsResponse = await carol.GetAsync("/admin/teams");

        Assert.Equal(HttpStatusCode.Redirect, alicesResponse.StatusCode);
        Assert.StartsWith("/account/denied", alicesResponse.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, carolsResponse.StatusCode);
        Assert.Contains("payments", await carolsResponse.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ArchivedServiceIsHiddenByDefaultAndCannotBeEdited()
    {
        var alice = await app.PrincipalAsync("alice");
        var registered = await Catalog.RegisterAsync(alice, new ServiceForm { Name = "old-batch", Team = "payments", ImageRepository = "registry.example.com/payments/batch" });
        Assert.True(registered.Succeeded, registered.Message);

        var archived = await Catalog.ArchiveAsync(alice, registered.Value!.Id);
        var visible = await Catalog.PageAsync(alice, new CatalogQuery(Search: "old-batch"));
        var withArchived = await Catalog.PageAsync(alice, new CatalogQuery(Search: "old-batch", IncludeArchived: true));
        var edit = await Catalog.UpdateAsync(alice, registered.Value.Id, new ServiceForm { ImageRepository = "registry.example.com/payments/batch", Description = "x" });

        Assert.True(archived.Succeeded);
        Assert.Equal(0, visible.TotalCount);
        Assert.True(Assert.Single(withArchived.Items).Archived);
        Assert.Equal(OutcomeKind.Conflict, edit.Kind);
    }
}
