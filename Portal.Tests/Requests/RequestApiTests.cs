using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

public class RequestApiTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task StagingRequestIsApprovedByPolicyAtOnce()
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1.0.0", comment = "first" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        // Approved by policy at once; the apply worker may already have taken it on by the time the answer is written.
        Assert.Contains(body.GetProperty("state").GetString(), new[] { "Approved", "Applying", "RollingOut", "Succeeded" });
        Assert.Equal("policy", body.GetProperty("decisions")[0].GetProperty("decidedBy").GetString());
        Assert.Equal($"/api/requests/{body.GetProperty("id").GetInt32()}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ProductionRequestWaitsForAnApproverAndBobApprovesIt()
    {
        // Approved requests get applied: a service of its own keeps that from superseding the other tests' requests.
        var service = await app.RegisterServiceAsync("approved-over-api");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v2.0.0" })).SubmittedIdAsync();

        var before = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();
        var approved = await bob.DecideAsync(id, "approve", "looks good");

        Assert.Equal("AwaitingApproval", before.GetProperty("state").GetString());
        Assert.Contains("First deploy to production.", before.GetProperty("risks").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var body = await approved.JsonAsync();
        // The applier may already have picked the approved request up by the time the answer is read back.
        Assert.Contains(body.GetProperty("state").GetString(), new[] { "Approved", "Applying", "RollingOut", "Succeeded" });
        Assert.Equal(("bob", "looks good"), (body.GetProperty("decisions")[0].GetProperty("decidedBy").GetString(), body.GetProperty("decisions")[0].GetProperty("comment").GetString()));
    }

    [Fact]
    public async Task ARequestReadTwiceIsReadFromTheDatabaseOnceAndAgainAfterItIsRejected()
    {
        var cache = app.Services.GetRequiredService<RequestDetailCache>();
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-cached" })).SubmittedIdAsync();
        var first = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();
        var reads = cache.Reads;

        var second = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();
        var readsForSecond = cache.Reads - reads;
        Assert.Equal(HttpStatusCode.OK, (await bob.DecideAsync(id, "reject", "not this one")).StatusCode);
        var afterReject = await (await alice.GetAsync($"/api/requests/{id}")).JsonAsync();

        Assert.Equal(0, readsForSecond);
        Assert.Equal(first.ToString(), second.ToString());
        Assert.Equal("AwaitingApproval", second.GetProperty("state").GetString());
        Assert.Equal("Rejected", afterReject.GetProperty("state").GetString());
        Assert.Equal(("bob", "not this one"), (afterReject.GetProperty("decisions")[0].GetProperty("decidedBy").GetString(), afterReject.GetProperty("decisions")[0].GetProperty("comment").GetString()));
    }

    [Fact]
    public async Task TheAnswerToASubmitIsTheRequestAsTheDatabaseHoldsIt()
    {
        var alice = await app.ClientAsync("alice");
        var response = await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-answered", replicas = 3, comment = "as stored" });
        var answered = await response.JsonAsync();

        // Read whole from the database, as the request's page does, and made into the API's resource.
        await using var scope = app.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<RequestQueries>().DetailAsync(await app.PrincipalAsync("alice"), answered.GetProperty("id").GetInt32());
        var json = scope.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var read = JsonSerializer.Serialize(RequestsApi.Resource(stored!), json);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("AwaitingApproval", answered.GetProperty("state").GetString());
        Assert.Equal(read, answered.GetRawText());
    }

    [Fact]
    public async Task ARequestReadOnceIsStillForbiddenToAnotherTeamsMember()
    {
        var alice = await app.ClientAsync("alice");
        var dave = await app.ClientAsync("dave");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v-cached-2" })).SubmittedIdAsync();
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/requests/{id}")).StatusCode);

        var response = await dave.GetAsync($"/api/requests/{id}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task DecidedRequestAnswersConflict()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v3" })).SubmittedIdAsync();
        await bob.DecideAsync(id, "reject", "not now");

        var again = await bob.DecideAsync(id, "approve");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already rejected", (await again.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RejectionNeedsAComment()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v4" })).SubmittedIdAsync();

        var response = await bob.DecideAsync(id, "reject");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("Comment", out _));
    }

    [Fact]
    public async Task AnotherTeamsMemberGetsForbiddenOnSubmitReadAndApprove()
    {
        var alice = await app.ClientAsync("alice");
        var dave = await app.ClientAsync("dave");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v5" })).SubmittedIdAsync();

        var submit = await dave.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "evil" });
        var read = await dave.GetAsync($"/api/requests/{id}");
        var approve = await dave.DecideAsync(id, "approve");

        Assert.Equal(HttpStatusCode.Forbidden, submit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, approve.StatusCode);
        Assert.Equal("application/problem+json", read.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task MemberWithoutApproverRoleCannotApprove()
    {
        var bob = await app.ClientAsync("bob");
        var alice = await app.ClientAsync("alice");
        var id = await (await bob.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v6" })).SubmittedIdAsync();

        var response = await alice.DecideAsync(id, "approve");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Only Approvers of payments", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RequesterWhoIsApproverAndAdminCannotApproveTheirOwnRequest()
    {
        var carolPrincipal = await app.PrincipalAsync("carol");
        await app.Get<Portal.Identity.TeamDirectory>().AddMemberAsync(carolPrincipal, "search", "carol", Portal.Identity.TeamRole.Approver);
        var carol = await app.ClientAsync("carol");
        var id = await (await carol.SubmitAsync("search", "search-indexer", "production", new { imageTag = "v1" })).SubmittedIdAsync();

        var response = await carol.DecideAsync(id, "approve");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("your own request", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(RequestState.AwaitingApproval, await StateAsync(id));
    }

    [Fact]
    public async Task RequesterCancelsBeforeApplyButNobodyElseCan()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        // Production waits for an approval, so the apply worker cannot take the request before the cancel.
        var id = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v7" })).SubmittedIdAsync();

        var byBob = await bob.DecideAsync(id, "cancel");
        var byAlice = await alice.DecideAsync(id, "cancel", "wrong tag");

        Assert.Equal(HttpStatusCode.Forbidden, byBob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byAlice.StatusCode);
        Assert.Equal(RequestState.Cancelled, await StateAsync(id));
    }

    [Fact]
    public async Task UnknownRequestIsNotFound()
    {
        var alice = await app.ClientAsync("alice");

        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/requests/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.SubmitAsync("payments", "nope", "staging", new { imageTag = "v1" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.SubmitAsync("payments", "payments-api", "qa", new { imageTag = "v1" })).StatusCode);
    }

    [Fact]
    public async Task ApiWithoutTokenAnswersUnauthorizedNotARedirect()
    {
        var anonymous = app.CreateBrowserlikeClient();
        var revoked = await app.ClientAsync("alice");
        var tokens = app.Get<Portal.Identity.PersonalAccessTokens>();
        var alice = await app.PrincipalAsync("alice");
        foreach (var token in await tokens.ListAsync(alice))
        {
            await tokens.RevokeAsync(alice, token.Id);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/requests/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.GetAsync("/api/requests/1")).StatusCode);
    }

    [Fact]
    public async Task SignedInBrowserSessionCanUseTheApiToo()
    {
        var client = await app.SignedInClientAsync("alice");

        var response = await client.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "from-cookie" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheRequestsApi()
    {
        var document = await app.CreateBrowserlikeClient().GetStringAsync("/openapi/v1.json");

        Assert.Contains("/api/services/{team}/{service}/environments/{environment}/requests", document);
        Assert.Contains("/api/requests/{id}/approve", document);
    }

    private Task<RequestState> StateAsync(int id) => app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync());
}
