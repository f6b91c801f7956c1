using System.Net;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cli;

/// <summary>The paged request lists of the API: shape, order, paging in SQL, filters, access and bad parameters.</summary>
public sealed class RequestListApiTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task AServicesRequestsComeNewestFirstAPageAtATimeWithTheTotal()
    {
        await app.RegisterServiceAsync("list-paged");
        var alice = await app.ClientAsync("alice");
        var ids = new List<int>();
        foreach (var tag in new[] { "v1", "v2", "v3", "v4", "v5" })
        {
            ids.Add(await (await alice.SubmitAsync("payments", "list-paged", "production", new { imageTag = tag })).SubmittedIdAsync());
        }

        var first = await (await alice.GetAsync("/api/services/payments/list-paged/requests?page=1&pageSize=2")).JsonAsync();
        var third = await (await alice.GetAsync("/api/services/payments/list-paged/requests?page=3&pageSize=2")).JsonAsync();
        var staging = await (await alice.GetAsync("/api/services/payments/list-paged/requests?environment=staging")).JsonAsync();

        Assert.Equal([ids[4], ids[3]], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
        Assert.Equal((1, 2, 5), (first.GetProperty("page").GetInt32(), first.GetProperty("pageSize").GetInt32(), first.GetProperty("total").GetInt32()));
        Assert.Equal([ids[0]], third.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
        var item = first.GetProperty("items")[0];
        Assert.Equal(("payments", "list-paged", "production", "AwaitingApproval", "v5"), (item.GetProperty("team").GetString(), item.GetProperty("service").GetString(),
            item.GetProperty("environment").GetString(), item.GetProperty("state").GetString(), item.GetProperty("imageTag").GetString()));
        Assert.Equal(0, staging.GetProperty("total").GetInt32());
        Assert.Equal(RequestListApi.DefaultPageSize, staging.GetProperty("pageSize").GetInt32());
    }

    [Fact]
    public async Task TheTeamListFiltersByTeamAndStateAndAdminsSeeEveryTeam()
    {
        await app.RegisterServiceAsync("list-team");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "list-team", "production", new { imageTag = "v1" })).SubmittedIdAsync();

        var mine = await (await alice.GetAsync("/api/requests?team=payments&state=awaitingapproval&pageSize=100")).JsonAsync();
        var admin = await (await (await app.ClientAsync("carol")).GetAsync("/api/requests?team=payments&pageSize=100")).JsonAsync();
        var dave = await (await app.ClientAsync("dave")).GetAsync("/api/requests?pageSize=100");

        Assert.Contains(id, mine.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
        Assert.All(mine.GetProperty("items").EnumerateArray(), i => Assert.Equal("AwaitingApproval", i.GetProperty("state").GetString()));
        Assert.Contains(id, admin.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
        Assert.DoesNotContain(id, (await dave.JsonAsync()).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
    }

    [Theory]
    [InlineData("/api/services/payments/payments-api/requests?page=0", "page")]
    [InlineData("/api/services/payments/payments-api/requests?page=abc", "page")]
    [InlineData("/api/services/payments/payments-api/requests?pageSize=101", "pageSize")]
    [InlineData("/api/services/payments/payments-api/requests?pageSize=-1", "pageSize")]
    [InlineData("/api/services/payments/payments-api/requests?environment=moon", "environment")]
    [InlineData("/api/requests?state=Sleeping", "state")]
    [InlineData("/api/requests?state=1", "state")]
    [InlineData("/api/requests?page=1.5", "page")]
    public async Task BadListParametersAreAProblemNamingTheField(string url, string field)
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task AnotherTeamsListIsForbiddenAndAnUnknownOneIsNotFound()
    {
        var dave = await app.ClientAsync("dave");

        var service = await dave.GetAsync("/api/services/payments/payments-api/requests");
        var team = await dave.GetAsync("/api/requests?team=payments");
        var unknownService = await dave.GetAsync("/api/services/payments/nothing/requests");
        var unknownTeam = await dave.GetAsync("/api/requests?team=nobody");

        Assert.Equal(HttpStatusCode.Forbidden, service.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, team.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownService.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownTeam.StatusCode);
    }

    [Fact]
    public async Task PagingRunsInTheDatabase()
    {
        var sql = app.Get<RequestQueries>().PageSql(await app.PrincipalAsync("alice"), new RequestFilter(Environment: "staging"), page: 3, pageSize: 20);

        Assert.Contains("LIMIT", sql);
        Assert.Contains("OFFSET", sql);
        Assert.Contains("ORDER BY", sql);
    }
}
