using System.Net;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

/// <summary>What a first visit asks for before any page of ours: the Identity sign-in path and the site icon.</summary>
public sealed class FirstVisitTests
{
    [Fact]
    public async Task AccountLoginRedirectsToTheSignInPageKeepingALocalReturnUrl()
    {
        await using var app = await PortalApp.StartAsync();
        var client = app.CreateBrowserlikeClient();

        var local = await client.GetAsync("/Account/Login?ReturnUrl=%2Fservices");
        var foreign = await client.GetAsync("/Account/Login?ReturnUrl=https%3A%2F%2Fevil.example%2F");

        Assert.Equal(HttpStatusCode.Redirect, local.StatusCode);
        Assert.Equal("/account/signin?returnUrl=%2Fservices", local.Headers.Location?.OriginalString);
        Assert.Equal("/account/signin?returnUrl=%2F", foreign.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task EveryPageNamesItsIconAndTheIconIsServed()
    {
        await using var app = await PortalApp.StartAsync();
        var client = app.CreateBrowserlikeClient();

        var html = await client.GetStringAsync("/account/signin");
        var link = System.Text.RegularExpressions.Regex.Match(html, "<link rel=\"icon\"[^>]* href=\"([^\"]+)\"");
        Assert.True(link.Success, "the page names no icon, so browsers ask for /favicon.ico and get 404");
        var icon = await client.GetAsync("/" + link.Groups[1].Value.TrimStart('/'));

        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
    }
}
