using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Identity;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hardening;

/// <summary>Team roles are read once per user and kept briefly; every change made through the portal forgets them at once.</summary>
public sealed class MembershipCacheTests
{
    [Fact]
    public async Task RepeatedCallsDoNotReadTheMembershipsEachTimeAndForgettingTheUserReadsThemAgain()
    {
        await using var app = await PortalApp.StartAsync();
        var request = await app.SubmitRequestAsync("bob", "payments-api", "production", form => form.ImageTag = "v1");
        var alice = await app.ClientAsync("alice");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/requests/{request.Id}")).StatusCode);
        var aliceId = (await app.WithDbAsync(db => db.Users.SingleAsync(u => u.UserName == "alice"))).Id;

        // Removed behind the portal's back: were the memberships read again, the next call would be refused.
        await app.WithDbAsync(db => db.TeamMembers.Where(m => m.UserId == aliceId).ExecuteDeleteAsync());
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/requests/{request.Id}")).StatusCode);

        app.Get<AccessTokenCache>().ForgetUser(aliceId);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync($"/api/requests/{request.Id}")).StatusCode);
    }

    [Fact]
    public async Task AMemberAddedThroughTheTeamDirectoryIsAllowedOnTheNextCall()
    {
        await using var app = await PortalApp.StartAsync();
        var request = await app.SubmitRequestAsync("bob", "payments-api", "production", form => form.ImageTag = "v1");
        var dave = await app.ClientAsync("dave");
        Assert.Equal(HttpStatusCode.Forbidden, (await dave.GetAsync($"/api/requests/{request.Id}")).StatusCode);

        var added = await app.Get<TeamDirectory>().AddMemberAsync(await app.PrincipalAsync("carol"), "payments", "dave", TeamRole.Member);
        Assert.True(added.Succeeded, added.Message);

        Assert.Equal(HttpStatusCode.OK, (await dave.GetAsync($"/api/requests/{request.Id}")).StatusCode);
    }
}
