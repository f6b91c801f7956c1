using System.Net;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

public sealed class SignInTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task AnonymousVisitorsAreSentToTheSignInPage()
    {
        var client = app.CreateBrowserlikeClient();

        var response = await client.GetAsync("/services");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/signin", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task SignInPageListsTheDemoUsers()
    {
        var page = await app.CreateBrowserlikeClient().GetStringAsync("/account/signin");

        foreach (var user in new[] { "alice", "bob", "carol", "dave" })
        {
            Assert.Contains($"<td>{user}</td>", page);
        }

        Assert.Contains("Demo123!", page);
    }

    [Fact]
    public async Task DemoUserSignsInAndSeesTheCatalog()
    {
        var client = await app.SignedInClientAsync("alice");

        var response = await client.GetAsync("/services");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("Register a service", page);
        Assert.Contains("alice", page);
    }

    [Fact]
    public async Task WrongPasswordIsRefusedWithAMessage()
    {
        var client = app.CreateBrowserlikeClient();

        var response = await PortalApp.PostSignInAsync(client, "dave", "not-the-password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The user name or password is not right.", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/services")).StatusCode);
    }

    [Fact]
    public async Task SignInWithoutTheAntiforgeryTokenIsRejected()
    {
        var client = app.CreateBrowserlikeClient();

        var response = await client.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["Input.UserName"] = "alice",
            ["Input.Password"] = "Demo123!",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SignOutEndsTheSession()
    {
        var client = await app.SignedInClientAsync("bob");
        // The user menu's form renders only when the menu opens; any form of the session carries the same kind of token.
        var page = await client.GetStringAsync("/account/password");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

        var response = await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/services")).StatusCode);
    }

    [Fact]
    public async Task UserChangesTheirPasswordAndSignsInWithTheNewOne()
    {
        await using var isolated = await PortalApp.StartAsync();
        var client = await isolated.SignedInClientAsync("dave");
        var form = await client.GetStringAsync("/account/password");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

        var response = await client.PostAsync("/account/password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "change-password",
            ["Input.CurrentPassword"] = "Demo123!",
            ["Input.NewPassword"] = "Another456!",
            ["Input.ConfirmPassword"] = "Another456!",
        }));

        Assert.Contains("Your password was changed.", await response.Content.ReadAsStringAsync());
        var old = await PortalApp.PostSignInAsync(isolated.CreateBrowserlikeClient(), "dave", "Demo123!");
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        var fresh = await PortalApp.PostSignInAsync(isolated.CreateBrowserlikeClient(), "dave", "Another456!");
        Assert.Equal(HttpStatusCode.Redirect, fresh.StatusCode);
    }

    [Fact]
    public async Task RepeatedWrongPasswordsLockTheAccount()
    {
        await using var isolated = await PortalApp.StartAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await PortalApp.PostSignInAsync(isolated.CreateBrowserlikeClient(), "alice", "wrong");
        }

        var response = await PortalApp.PostSignInAsync(isolated.CreateBrowserlikeClient(), "alice", "Demo123!");

        Assert.Contains("locked", await response.Content.ReadAsStringAsync());
    }
}
