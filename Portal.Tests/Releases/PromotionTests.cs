using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Releases;

/// <summary>Promotion through the API, with the embedded registry pinning digests and production requiring promotion.</summary>
public sealed class PromotionTests : IAsyncLifetime
{
    private readonly PortalApp app = new PortalApp()
        .With("Sandbox:Registry", "true")
        .With("Environments:0:Name", "staging")
        .With("Environments:1:Name", "production")
        .With("Environments:1:RequiresApproval", "true")
        .With("Environments:1:RequirePromotion", "true");

    public Task InitializeAsync() => app.InitializeAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task PromotionCopiesTheSpecAndExactDigestThatLastSucceededInTheEnvironmentBefore()
    {
        var alice = await app.ClientAsync("alice");
        var staged = await (await alice.SubmitAsync("payments", "payments-api", "staging",
            new { imageTag = "v1.4.2", replicas = 1, setEnv = new Dictionary<string, string> { ["FEATURE"] = "on" }, setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = "staging-only-value" } })).SubmittedIdAsync();
        await app.WaitForStateAsync(staged, RequestState.Succeeded);

        var response = await alice.PostAsJsonAsync("/api/services/payments/payments-api/environments/production/promotions", new { comment = "Ship it" }, PortalApi.Json);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.JsonAsync();
        var id = json.GetProperty("id").GetInt32();
        Assert.Equal($"/api/requests/{id}", response.Headers.Location?.ToString());
        var get = await (await alice.GetAsync($"/api/requests/{id}")).Content.ReadAsStringAsync();
        Assert.Equal(get, await response.Content.ReadAsStringAsync());
        var (source, promoted) = await app.WithDbAsync(async db => (await db.DeploymentRequests.SingleAsync(r => r.Id == staged), await db.DeploymentRequests.SingleAsync(r => r.Id == id)));
        Assert.NotNull(source.Spec.ImageDigest);
        Assert.Equal(source.Spec.ImageDigest, json.GetProperty("imageDigest").GetString());
        Assert.Equal("production", promoted.Environment);
        Assert.Equal(RequestState.AwaitingApproval, promoted.State);
        Assert.Equal("Ship it", promoted.Comment);
        Assert.Equal(staged, promoted.PromotedFromRequestId);
        // The whole spec, except that secrets stay per environment: production's own (none yet), never staging's values.
        Assert.Equal((source.Spec with { Secrets = [] }).ToJson(), promoted.Spec.ToJson());
        Assert.Empty(promoted.SecretChanges);
        Assert.Equal(0, await app.WithDbAsync(db => db.SecretValues.CountAsync(v => v.Environment == "production")));
    }

    [Fact]
    public async Task PromotionWhenNothingSucceededBeforeIsAConflict()
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.PostAsJsonAsync("/api/services/payments/payments-api/environments/production/promotions", new { }, PortalApi.Json);
        var first = await alice.PostAsJsonAsync("/api/services/payments/payments-api/environments/staging/promotions", new { }, PortalApi.Json);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Nothing of payments-api has succeeded in staging yet", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Conflict, first.StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
    }

    [Fact]
    public async Task RequirePromotionRefusesADigestThatNeverSucceededBeforeWithAMessageOnTheTag()
    {
        var alice = await app.ClientAsync("alice");
        var staged = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1.4.2", replicas = 1 })).SubmittedIdAsync();
        await app.WaitForStateAsync(staged, RequestState.Succeeded);

        var refused = await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1.4.0", replicas = 1 });
        var accepted = await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1.4.2", replicas = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var message = (await refused.JsonAsync()).GetProperty("errors").GetProperty("ImageTag")[0].GetString();
        Assert.StartsWith("production accepts only images that succeeded in staging: v1.4.0@sha256:", message);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Equal(1, await app.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Environment == "production")));
    }
}
