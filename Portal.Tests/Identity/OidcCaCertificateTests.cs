using System.Net;
using Microsoft.Extensions.Options;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

/// <summary><c>Authentication:Oidc:CaCertificateFile</c>: without it a provider under a private CA is refused; a bad file stops the start.</summary>
public sealed class OidcCaCertificateTests
{
    [Fact]
    public async Task WithoutTheCaSettingTheBackchannelRefusesAProviderUnderAPrivateCa()
    {
        await using var provider = await LoopbackOidcProvider.StartAsync();
        await using var app = await PortalApp.StartAsync(
            ("Authentication:Oidc:Authority", provider.Issuer.ToString()),
            ("Authentication:Oidc:ClientId", LoopbackOidcProvider.ClientId),
            ("Authentication:Oidc:ClientSecret", LoopbackOidcProvider.ClientSecret));
        await provider.RegisterClientAsync(new Uri(app.BaseAddress, "/signin-oidc"));

        var challenge = await app.CreateBrowserlikeClient().GetAsync("/account/signin/oidc");

        // The discovery document cannot be fetched: no redirect to the provider.
        Assert.Equal(HttpStatusCode.InternalServerError, challenge.StatusCode);
        Assert.Contains("SSL", app.Logs.All, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WithTheCaSettingTheChallengeRedirectsToTheProvider()
    {
        await using var provider = await LoopbackOidcProvider.StartAsync();
        await using var app = await PortalApp.StartAsync(
            ("Authentication:Oidc:Authority", provider.Issuer.ToString()),
            ("Authentication:Oidc:ClientId", LoopbackOidcProvider.ClientId),
            ("Authentication:Oidc:ClientSecret", LoopbackOidcProvider.ClientSecret),
            ("Authentication:Oidc:CaCertificateFile", provider.CaCertificateFile));
        await provider.RegisterClientAsync(new Uri(app.BaseAddress, "/signin-oidc"));

        var challenge = await app.CreateBrowserlikeClient().GetAsync("/account/signin/oidc");

        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        Assert.StartsWith(new Uri(provider.Issuer, "/auth").ToString(), challenge.Headers.Location!.ToString());
    }

    [Fact]
    public async Task ACaFileWithoutACertificateStopsTheStartNamingTheKey()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "not a certificate");
        var app = new PortalApp()
            .With("Authentication:Oidc:Authority", "https://idp.example.com")
            .With("Authentication:Oidc:ClientId", "portal")
            .With("Authentication:Oidc:CaCertificateFile", file);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains("Authentication:Oidc:CaCertificateFile", error.Message);
        await app.DisposeAsync();
        File.Delete(file);
    }
}
