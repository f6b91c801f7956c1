using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hardening;

/// <summary>Personal access tokens: not locked by password lockout, cached, and refused at once (their hub connections closed) when revoked or when the owner's access changes.</summary>
public sealed class AccessTokenTests
{
    [Fact]
    public async Task PasswordLockoutDoesNotLockAccessTokens()
    {
        await using var app = await PortalApp.StartAsync();
        var bob = await app.ClientAsync("bob");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/api/requests/999999")).StatusCode);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            await PortalApp.PostSignInAsync(app.CreateBrowserlikeClient(), "bob", "wrong");
        }

        var locked = await PortalApp.PostSignInAsync(app.CreateBrowserlikeClient(), "bob", "Demo123!");
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync());
        // A fresh client: nothing cached in this process may hide the check.
        app.Get<AccessTokenCache>().ForgetUser((await app.WithDbAsync(db => db.Users.SingleAsync(u => u.UserName == "bob"))).Id);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/api/requests/999999")).StatusCode);
    }

    [Fact]
    public async Task SignOutRequiresAntiforgeryToken()
    {
        await using var app = await PortalApp.StartAsync();
        var client = await app.SignedInClientAsync("alice");

        var response = await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string>()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/services")).StatusCode);
    }

    [Fact]
    public async Task RevokedTokenIsRefusedOnItsNextCall()
    {
        await using var app = await PortalApp.StartAsync();
        var alice = await app.PrincipalAsync("alice");
        var created = await app.Get<PersonalAccessTokens>().CreateAsync(alice, "pipeline", 30);
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.Value!.Secret);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/requests/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/requests/999999")).StatusCode);

        await app.Get<PersonalAccessTokens>().RevokeAsync(alice, created.Value.Token.Id);

        var refused = await client.GetAsync("/api/requests/999999");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task RepeatedCallsWithATokenDoNotReadTheTokenTableEachTime()
    {
        await using var app = await PortalApp.StartAsync();
        var alice = await app.ClientAsync("alice");
        await alice.GetAsync("/api/requests/999999");
        var lastUsed = await app.WithDbAsync(db => db.PersonalAccessTokens.Select(t => t.LastUsedAt).SingleAsync());
        // Were the table read again, an expired row would refuse the next call.
        await app.WithDbAsync(db => db.PersonalAccessTokens.ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTimeOffset.UnixEpoch)));

        Assert.NotNull(lastUsed);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/requests/999999")).StatusCode);
    }

    [Fact]
    public async Task RoleChangeTakesEffectAtOnceForAccessTokens()
    {
        await using var app = await PortalApp.StartAsync();
        var request = await app.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "v1");
        var bob = await app.ClientAsync("bob");
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"/api/requests/{request.Id}")).StatusCode);
        var bobId = (await app.WithDbAsync(db => db.Users.SingleAsync(u => u.UserName == "bob"))).Id;

        var changed = await app.Get<TeamDirectory>().SetRoleAsync(await app.PrincipalAsync("carol"), "payments", bobId, TeamRole.Member);
        Assert.True(changed.Succeeded, changed.Message);

        var approve = await bob.DecideAsync(request.Id, "approve");
        Assert.Equal(HttpStatusCode.Forbidden, approve.StatusCode);
        Assert.Equal(RequestState.AwaitingApproval, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == request.Id).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task MemberRemovalTakesEffectAtOnceForAccessTokens()
    {
        await using var app = await PortalApp.StartAsync();
        var request = await app.SubmitRequestAsync("bob", "payments-api", "production", form => form.ImageTag = "v1");
        var alice = await app.ClientAsync("alice");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/requests/{request.Id}")).StatusCode);
        var aliceId = (await app.WithDbAsync(db => db.Users.SingleAsync(u => u.UserName == "alice"))).Id;

        var removed = await app.Get<TeamDirectory>().RemoveMemberAsync(await app.PrincipalAsync("carol"), "payments", aliceId);
        Assert.True(removed.Succeeded, removed.Message);

        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync($"/api/requests/{request.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v2" })).StatusCode);
    }

    [Fact]
    public async Task HubConnectionsCloseWhenTheirTokenIsRevokedOrTheirUserLosesAMembership()
    {
        await using var app = await PortalApp.StartAsync();
        var request = await app.SubmitRequestAsync("bob", "payments-api", "production", form => form.ImageTag = "v1");
        var alice = await app.PrincipalAsync("alice");
        var tokens = app.Get<PersonalAccessTokens>();
        var revoked = (await tokens.CreateAsync(alice, "hub-revoked", 1)).Value!;
        var kept = (await tokens.CreateAsync(alice, "hub-kept", 1)).Value!;
        var bobs = (await tokens.CreateAsync(await app.PrincipalAsync("bob"), "hub-bob", 1)).Value!;
        await using var revokedConnection = await JoinedAsync(app, revoked.Secret, request.Id);
        await using var keptConnection = await JoinedAsync(app, kept.Secret, request.Id);
        await using var bobConnection = await JoinedAsync(app, bobs.Secret, request.Id);

        var revokedClosed = ClosedAsync(revokedConnection);
        Assert.True((await tokens.RevokeAsync(alice, revoked.Token.Id)).Succeeded);
        await revokedClosed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Connected, keptConnection.State);

        // Removed from the team: every connection of hers closes, and one made again may no longer follow the rollout.
        var keptClosed = ClosedAsync(keptConnection);
        var aliceId = (await app.WithDbAsync(db => db.Users.SingleAsync(u => u.UserName == "alice"))).Id;
        Assert.True((await app.Get<TeamDirectory>().RemoveMemberAsync(await app.PrincipalAsync("carol"), "payments", aliceId)).Succeeded);
        await keptClosed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Connected, bobConnection.State);
        await using var again = await ConnectAsync(app, kept.Secret);
        var refused = await Assert.ThrowsAsync<HubException>(() => again.InvokeAsync("JoinRollout", request.Id));
        Assert.Contains("team you are not a member of", refused.Message);
    }

    private static async Task<HubConnection> ConnectAsync(PortalApp app, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, "/hubs/rollouts"), options => options.Headers["Authorization"] = "Bearer " + token)
            .Build();
        await connection.StartAsync();
        return connection;
    }

    private static async Task<HubConnection> JoinedAsync(PortalApp app, string token, int requestId)
    {
        var connection = await ConnectAsync(app, token);
        await connection.InvokeAsync("JoinRollout", requestId);
        return connection;
    }

    private static Task ClosedAsync(HubConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        return closed.Task;
    }
}
