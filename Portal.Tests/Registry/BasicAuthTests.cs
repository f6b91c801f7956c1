using System.Net.Http.Headers;
using System.Text;
using Portal.Registry;

namespace Portal.Tests.Registry;

/// <summary>
/// docker-registry with <c>auth.htpasswd</c>. The htpasswd file is written by the test with bcrypt hashes from the
/// BCrypt.Net-Next package (distribution reads only bcrypt entries), so no apache2-utils is needed.
/// </summary>
public sealed class HtpasswdRegistryFixture : IAsyncLifetime
{
    public const string Username = "reader";
    public const string Password = "s3cret-Registry-Passw0rd";

    public LocalRegistry Registry { get; private set; } = null!;

    public string Digest { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var folder = TestFolder.Create("registry-htpasswd");
        var htpasswd = Path.Combine(folder, "htpasswd");
        // Work factor 4, the lowest bcrypt allows: the registry checks the hash on every request.
        await File.WriteAllTextAsync(htpasswd, $"{Username}:{BCrypt.Net.BCrypt.HashPassword(Password, workFactor: 4)}\n");
        Registry = await LocalRegistry.StartAsync(auth: $"  htpasswd:\n    realm: portal-tests\n    path: {htpasswd}\n", folder: folder);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        using var pusher = new ImagePusher(Registry.Url, _ => basic);
        Digest = await pusher.PushImageAsync("team/app", "1.0.0", "2024-01-01T00:00:00Z");
    }

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

public sealed class BasicAuthTests(HtpasswdRegistryFixture fixture) : IClassFixture<HtpasswdRegistryFixture>
{
    private string App => $"{fixture.Registry.Host}/team/app";

    [Fact]
    public async Task BasicCredentialsOpenARegistryProtectedByHtpasswd()
    {
        await using var feature = RegistryFeature.Create(
            RegistryFeature.OneRegistry(fixture.Registry.Url, HtpasswdRegistryFixture.Username, HtpasswdRegistryFixture.Password));

        var listing = await feature.Catalog.TagsAsync(App);
        var resolution = await feature.Catalog.ResolveAsync(App, "1.0.0", maxAge: TimeSpan.Zero);

        Assert.True(listing.Succeeded, listing.Message);
        Assert.Equal(fixture.Digest, listing.Tags.Single().Digest);
        Assert.Equal(fixture.Digest, resolution.Digest);
        // One 401 teaches the client that this registry wants Basic; later requests carry it at once.
        Assert.Equal(2, feature.Requests.Count("/tags/list"));
        Assert.Equal(2, feature.Requests.Count("HEAD /v2/team/app/manifests/1.0.0"));
    }

    [Fact]
    public async Task WrongCredentialsAreReportedAsUnauthorized()
    {
        await using var feature = RegistryFeature.Create(RegistryFeature.OneRegistry(fixture.Registry.Url, "reader", "wrong-password"));

        var listing = await feature.Catalog.TagsAsync(App);

        Assert.Equal(RegistryStatus.Unauthorized, listing.Status);
        Assert.True(listing.Status.IsRegistryProblem());
        Assert.Equal("The registry 'local' refused access to team/app: check the credentials configured for it.", listing.Message);
    }

    [Fact]
    public async Task MissingCredentialsAreReportedAsUnauthorized()
    {
        await using var feature = RegistryFeature.Create(RegistryFeature.OneRegistry(fixture.Registry.Url));

        var resolution = await feature.Catalog.ResolveAsync(App, "1.0.0");

        Assert.Equal(RegistryStatus.Unauthorized, resolution.Status);
        Assert.Equal("The registry 'local' requires credentials for team/app, and none are configured for it.", resolution.Message);
    }

    [Fact]
    public async Task BasicCredentialsNeverAppearInLogsOrMessages()
    {
        const string wrong = "Wr0ng-But-Still-Secret";
        await using var good = RegistryFeature.Create(
            RegistryFeature.OneRegistry(fixture.Registry.Url, HtpasswdRegistryFixture.Username, HtpasswdRegistryFixture.Password));
        await using var bad = RegistryFeature.Create(RegistryFeature.OneRegistry(fixture.Registry.Url, "reader", wrong));

        var messages = new[]
        {
            (await good.Catalog.TagsAsync(App)).Message,
            (await bad.Catalog.TagsAsync(App)).Message,
            (await bad.Catalog.ResolveAsync(App, "1.0.0")).Message,
        };
        var secrets = new[]
        {
            HtpasswdRegistryFixture.Password,
            wrong,
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{HtpasswdRegistryFixture.Username}:{HtpasswdRegistryFixture.Password}")),
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"reader:{wrong}")),
        };

        var said = good.Logs.Lines.Concat(bad.Logs.Lines).Concat(messages.OfType<string>()).ToList();
        Assert.Contains(said, l => l.Contains("Authorization", StringComparison.Ordinal)); // headers are logged at Trace, redacted
        Assert.All(said, line => Assert.All(secrets, secret => Assert.DoesNotContain(secret, line, StringComparison.Ordinal)));
    }
}
