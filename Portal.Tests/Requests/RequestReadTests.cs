using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

/// <summary>GET /api/requests/{id} from what is kept (RequestDetailCache, RequestStamps, ResourceJson): never stale, never wider.</summary>
public class RequestReadTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task ARepeatedReadChecksTheVersionOnAConnectionKeptOpenForIt()
    {
        var stamps = app.Services.GetRequiredService<RequestStamps>();
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-stamped" })).SubmittedIdAsync();
        await alice.GetAsync($"/api/requests/{id}");
        await alice.GetAsync($"/api/requests/{id}");
        var opened = stamps.Opened;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/requests/{id}")).StatusCode);
        }

        Assert.True(opened >= 1, "the version check never ran");
        Assert.Equal(opened, stamps.Opened);
    }

    [Fact]
    public async Task AReadFromWhatIsKeptIsTheSameJsonAsTheSubmitsAnswer()
    {
        var alice = await app.ClientAsync("alice");
        var submitted = await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-same-json", comment = "same bytes" });
        var submitBody = await submitted.Content.ReadAsStringAsync();
        var id = await submitted.SubmittedIdAsync();

        var first = await alice.GetAsync($"/api/requests/{id}");
        var second = await alice.GetAsync($"/api/requests/{id}");

        Assert.Equal(submitBody, await first.Content.ReadAsStringAsync());
        Assert.Equal(submitBody, await second.Content.ReadAsStringAsync());
        Assert.Equal("application/json", second.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", second.Content.Headers.ContentType.CharSet);
    }

    [Fact]
    public async Task AReadAfterTheServiceIsRenamedShowsTheNewNameThoughTheRequestIsUnchanged()
    {
        var service = await app.RegisterServiceAsync("renamed-while-read");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v-renamed" })).SubmittedIdAsync();
        var before = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();

        await app.WithDbAsync(db => db.Services.Where(s => s.Id == service.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Name, "renamed-now-read")));
        var after = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();

        Assert.Equal("renamed-while-read", before.GetProperty("service").GetString());
        Assert.Equal("renamed-now-read", after.GetProperty("service").GetString());
        Assert.Equal(before.GetProperty("state").GetString(), after.GetProperty("state").GetString());
    }

    [Fact]
    public async Task AReadAfterAChangeMadeBehindThePortalsBackShowsTheChangeAtOnce()
    {
        // Another instance writes the same way: the version moves with the change, and the next read here sees it.
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-behind" })).SubmittedIdAsync();
        Assert.Equal("AwaitingApproval", (await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync()).GetProperty("state").GetString());

        await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id)
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.State, RequestState.Cancelled).SetProperty(x => x.Version, x => x.Version + 1)));
        var after = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();

        Assert.Equal("Cancelled", after.GetProperty("state").GetString());
    }

    [Fact]
    public async Task AReadOfAnotherTeamsRequestIsForbiddenAfterItsTeamReadItAndUnknownRequestsAreNotFound()
    {
        var alice = await app.ClientAsync("alice");
        var dave = await app.ClientAsync("dave");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-kept-403" })).SubmittedIdAsync();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/requests/{id}")).StatusCode);
        }

        var forbidden = await dave.GetAsync($"/api/requests/{id}");
        var missing = await alice.GetAsync($"/api/requests/{id + 100_000}");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.DoesNotContain("v-kept-403", await forbidden.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
