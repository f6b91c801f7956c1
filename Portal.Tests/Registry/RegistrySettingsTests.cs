using Microsoft.Extensions.Options;
using Portal.Registry;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Registry;

public sealed class RegistrySettingsTests
{
    [Theory]
    [InlineData("Registries:0:Url", "registry.example.com", "Registries:0:Url must be an absolute http(s) URL")]
    [InlineData("Registries:0:Url", "ftp://registry.example.com", "Registries:0:Url must be an absolute http(s) URL")]
    [InlineData("Registries:0:Name", "", "Registries:0:Name must name the registry")]
    [InlineData("Registries:0:Username", "ci", "Registries:0:Username and Registries:0:Password must be set together")]
    [InlineData("Registries:0:Host", "https://docker.io", "Registries:0:Host must be a host name with an optional port")]
    [InlineData("Registries:0:CaCertificateFile", "/nowhere/ca.pem", "Registries:0:CaCertificateFile names a file that does not exist")]
    [InlineData("ImageCatalog:CacheSeconds", "-1", "ImageCatalog:CacheSeconds must be between 0 and 3600")]
    public async Task BadRegistrySettingStopsStartUpNamingTheKey(string key, string value, string expected)
    {
        var app = new PortalApp()
            .With("Registries:0:Name", "harbor")
            .With("Registries:0:Url", "https://registry.example.com")
            .With(key, value);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains(expected, error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ACaFileWithoutACertificateStopsStartUp()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "not a certificate");
        var app = new PortalApp()
            .With("Registries:0:Name", "harbor").With("Registries:0:Url", "https://registry.example.com")
            .With("Registries:0:CaCertificateFile", file);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains("Registries:0:CaCertificateFile holds no PEM certificate", error.Message);
        await app.DisposeAsync();
        File.Delete(file);
    }

    [Fact]
    public async Task TwoRegistriesForOneHostStopStartUp()
    {
        var app = new PortalApp()
            .With("Registries:0:Name", "harbor").With("Registries:0:Url", "https://registry.example.com")
            .With("Registries:1:Name", "mirror").With("Registries:1:Url", "https://mirror.example.com").With("Registries:1:Host", "registry.example.com");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains("Registries:1:Host registry.example.com is served by another registry already", error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task APasswordInTheUrlIsRefusedWithoutRepeatingIt()
    {
        var app = new PortalApp().With("Registries:0:Name", "harbor").With("Registries:0:Url", "https://ci:hunter2-secret@registry.example.com");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains("Registries:0:Url must not carry credentials: set Registries:0:Username and Registries:0:Password", error.Message);
        Assert.DoesNotContain("hunter2-secret", error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ThePortalListsTagsFromTheRegistryItIsConfiguredWith()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var pusher = new ImagePusher(registry.Url);
        var digest = await pusher.PushImageAsync("payments/api", "3.1.4", "2024-07-01T00:00:00Z");
        await using var app = await PortalApp.StartAsync(
            ("Registries:0:Name", "local"), ("Registries:0:Url", registry.Url.ToString()), ("ImageCatalog:CacheSeconds", "0"));

        var listing = await app.Get<ImageCatalog>().TagsAsync($"{registry.Host}/payments/api");

        Assert.Equal(("3.1.4", digest), (listing.Tags.Single().Name, listing.Tags.Single().Digest));
    }

    [Theory]
    [InlineData("registry.example.com/payments/api", "registry.example.com", "payments/api")]
    [InlineData("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app")]
    [InlineData("localhost/app", "localhost", "app")]
    [InlineData("Registry.Example.com/payments/api", "registry.example.com", "payments/api")]
    [InlineData("nginx", "docker.io", "library/nginx")]
    [InlineData("bitnami/redis", "docker.io", "bitnami/redis")]
    [InlineData("docker.io/nginx", "docker.io", "library/nginx")]
    [InlineData("index.docker.io/library/nginx", "docker.io", "library/nginx")]
    public void ImageRepositoriesMapToARegistryByHostAndPort(string repository, string host, string path)
    {
        Assert.Equal(new RepositoryReference(host, path), RepositoryReference.Parse(repository));
    }

    [Theory]
    [InlineData("")]
    [InlineData("registry.example.com/payments/api:1.0")]
    [InlineData("registry.example.com/payments/api@sha256:abc")]
    [InlineData("https://registry.example.com/payments/api")]
    [InlineData("registry.example.com/Payments/api")]
    [InlineData("registry.example.com/payments//api")]
    public void WhatIsNotARepositoryIsNotParsedAsOne(string repository)
    {
        Assert.Null(RepositoryReference.Parse(repository));
    }
}
