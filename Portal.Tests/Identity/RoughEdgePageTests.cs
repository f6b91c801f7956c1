using System.Net;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

/// <summary>Rough edges of issue 14 that show in the HTTP answer itself: status codes, the app shell, anonymous scripts.</summary>
public sealed class RoughEdgePageTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task Edge06TheChangePasswordPageKeepsTheAppShell()
    {
        var alice = await app.SignedInClientAsync("alice");

        var html = await alice.GetStringAsync("/account/password");

        Assert.Contains("id=\"user-menu\"", html);
        Assert.Contains("href=\"/services\"", html);
        Assert.Contains("Change password", html);
    }

    [Fact]
    public async Task Edge22TheNotFoundPageOffersSignInAndItsScriptGetsItsInitializers()
    {
        var anonymous = app.CreateBrowserlikeClient();

        var page = await anonymous.GetAsync("/no-such-page");
        var initializers = await anonymous.GetAsync("/_blazor/initializers");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("id=\"not-found-signin\"", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, initializers.StatusCode);
        Assert.Equal("application/json", initializers.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Edge26AnotherTeamsDeployFormRequestAndRolloutAllAnswer403()
    {
        var request = await app.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "edge-403");
        var dave = await app.SignedInClientAsync("dave");

        var deploy = await dave.GetAsync("/services/payments/payments-api/environments/staging/deploy");
        var requestPage = await dave.GetAsync($"/requests/{request.Id}");
        var rolloutPage = await dave.GetAsync($"/rollouts/{request.Id}");
        var servicePage = await dave.GetAsync("/services/payments/payments-api");

        Assert.Equal(
            (HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.OK),
            (deploy.StatusCode, requestPage.StatusCode, rolloutPage.StatusCode, servicePage.StatusCode));
        Assert.Contains("Not your team", await deploy.Content.ReadAsStringAsync());
    }
}
