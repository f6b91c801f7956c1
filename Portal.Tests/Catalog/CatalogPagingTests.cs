using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Catalog;

/// <summary>The catalog with 10,000 services: every answer is one page computed by the database.</summary>
public sealed class CatalogPagingTests : IAsyncLifetime
{
    private const int ExtraServices = 10_000;
    private PortalApp app = null!;

    public async Task InitializeAsync()
    {
        app = await PortalApp.StartAsync();
        await app.WithDbAsync(async db =>
        {
            var payments = await db.Teams.SingleAsync(t => t.Name == "payments");
            var search = await db.Teams.SingleAsync(t => t.Name == "search");
            var start = DateTimeOffset.UtcNow;
            for (var i = 0; i < ExtraServices; i++)
            {
                db.Services.Add(new Service
                {
                    TeamId = i % 2 == 0 ? payments.Id : search.Id,
                    Name = $"svc-{i:D5}",
                    ImageRepository = $"registry.example.com/bulk/svc-{i:D5}",
                    ContainerPort = 8080,
                    CreatedAt = start,
                    UpdatedAt = start.AddSeconds(i),
                });
            }

            return await db.SaveChangesAsync();
        });
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task FirstPageHoldsOnePageAndTheTotal()
    {
        var page = await app.Get<ServiceCatalog>().PageAsync(await app.PrincipalAsync("carol"), new CatalogQuery(PageSize: 25));

        Assert.Equal(ExtraServices + 2, page.TotalCount);
        Assert.Equal(25, page.Items.Count);
        Assert.Equal("payments-api", page.Items[0].Name);
        Assert.Equal("search-indexer", page.Items[1].Name);
        Assert.Equal("svc-00000", page.Items[2].Name);
    }

    [Fact]
    public async Task LaterPagesContinueInOrder()
    {
        var page = await app.Get<ServiceCatalog>().PageAsync(await app.PrincipalAsync("carol"), new CatalogQuery(Page: 100, PageSize: 50));

        Assert.Equal(50, page.Items.Count);
        // Offset 5000 less the two seeded services that sort before "svc-".
        Assert.Equal("svc-04998", page.Items[0].Name);
        Assert.Equal(page.Items.Select(i => i.Name).Order(StringComparer.Ordinal), page.Items.Select(i => i.Name));
    }

    [Fact]
    public async Task SortingByLastUpdateDescendingPutsTheNewestFirst()
    {
        var page = await app.Get<ServiceCatalog>().PageAsync(await app.PrincipalAsync("carol"), new CatalogQuery(SortBy: CatalogSort.UpdatedAt, Descending: true, PageSize: 3));

        Assert.Equal(["svc-09999", "svc-09998", "svc-09997"], page.Items.Select(i => i.Name));
    }

    [Fact]
    public async Task SearchMatchesNameOrTeam()
    {
        var catalog = app.Get<ServiceCatalog>();
        var carol = await app.PrincipalAsync("carol");

        var byName = await catalog.PageAsync(carol, new CatalogQuery(Search: "svc-0999"));
        var byTeam = await catalog.PageAsync(carol, new CatalogQuery(Search: "search", PageSize: 10));

        Assert.Equal(10, byName.TotalCount);
        Assert.Equal(ExtraServices / 2 + 1, byTeam.TotalCount);
        Assert.All(byTeam.Items, i => Assert.Equal("search", i.Team));
    }

    [Fact]
    public async Task MyTeamsFilterShowsOnlyTheUsersTeams()
    {
        var page = await app.Get<ServiceCatalog>().PageAsync(await app.PrincipalAsync("dave"), new CatalogQuery(MyTeamsOnly: true, PageSize: 100));

        Assert.Equal(ExtraServices / 2 + 1, page.TotalCount);
        Assert.All(page.Items, i => Assert.Equal("search", i.Team));
    }

    [Fact]
    public async Task PagingAndFilteringRunInTheDatabase()
    {
        var sql = app.Get<ServiceCatalog>().PageSql(await app.PrincipalAsync("dave"), new CatalogQuery(Search: "svc", MyTeamsOnly: true, Page: 3, PageSize: 25));

        Assert.Contains("LIMIT", sql);
        Assert.Contains("OFFSET", sql);
        Assert.Contains("instr", sql, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("TeamMembers", sql);
    }
}
