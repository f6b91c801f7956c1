using System.Text;
using Portal.Registry;

namespace Portal.Tests.Registry;

/// <summary>
/// docker-registry with <c>auth.token</c>: it answers 401 with <c>WWW-Authenticate: Bearer realm=...,service=...,scope=...</c>
/// and accepts only JWTs signed by the test's <see cref="TokenService"/>, which in turn wants Basic credentials.
/// </summary>
public sealed class TokenRegistryFixture : IAsyncLifetime
{
    public const string Username = "reader";
    public const string Password = "t0ken-Service-Passw0rd";

    public TokenService Tokens { get; private set; } = null!;

    public LocalRegistry Registry { get; private set; } = null!;

    public string Digest { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Tokens = await TokenService.StartAsync(Username, Password);
        var folder = TestFolder.Create("registry-token");
        Registry = await LocalRegistry.StartAsync(auth: await Tokens.RegistryAuthAsync(folder), folder: folder);
        using var pusher = new ImagePusher(Registry.Url, Tokens.PushAuthorization);
        Digest = await pusher.PushIndexAsync("team/app", "1.0.0", MediaTypes.OciIndex, ("linux", "amd64", "2024-01-01T00:00:00Z"));
        for (var i = 1; i <= 4; i++)
        {
            await pusher.PushImageAsync("team/other", $"0.{i}", "2024-01-01T00:00:00Z");
        }
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Tokens.DisposeAsync();
    }
}

public sealed class BearerAuthTests(TokenRegistryFixture fixture) : IClassFixture<TokenRegistryFixture>
{
    private string App => $"{fixture.Registry.Host}/team/app";

    private RegistryFeature Feature(string password = TokenRegistryFixture.Password, params (string, string?)[] extra) =>
        RegistryFeature.Create([.. RegistryFeature.OneRegistry(fixture.Registry.Url, TokenRegistryFixture.Username, password), .. extra]);

    [Fact]
    public async Task ATokenFromTheRealmOpensARegistryWithTokenAuth()
    {
        await using var feature = Feature();
        var before = fixture.Tokens.Requests;

        var listing = await feature.Catalog.TagsAsync(App);

        Assert.True(listing.Succeeded, listing.Message);
        Assert.Equal(fixture.Digest, listing.Tags.Single().Digest);
        Assert.Equal(DateTimeOffset.Parse("2024-01-01T00:00:00Z"), listing.Tags.Single().Created);
        // One token for the repository's pull scope serves the tag list, the manifests and the config blob.
        Assert.Equal(1, fixture.Tokens.Requests - before);
        Assert.Equal("GET /token?service=portal-tests-registry&scope=repository%3Ateam%2Fapp%3Apull",
            feature.Requests.All.Single(r => r.Contains("/token", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task APingWithoutScopeGetsATokenToo()
    {
        await using var feature = Feature();

        var ping = await feature.Client.PingAsync(feature.Registry);

        Assert.True(ping.Succeeded, ping.Message);
        Assert.Equal(["GET /v2/", "GET /token?service=portal-tests-registry", "GET /v2/"], feature.Requests.All);
    }

    [Fact]
    public async Task RequestsRefusedTogetherShareOneTokenRequest()
    {
        await using var feature = Feature();
        var before = fixture.Tokens.Requests;
        var other = $"{fixture.Registry.Host}/team/other";

        var resolutions = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => feature.Catalog.ResolveAsync(other, $"0.{i}")));

        Assert.All(resolutions, r => Assert.True(r.Succeeded, r.Message));
        Assert.Equal(1, fixture.Tokens.Requests - before);
    }

    [Fact]
    public async Task ATokenIsReusedUntilItExpires()
    {
        await using var feature = Feature(extra: ("ImageCatalog:CacheSeconds", "30"));
        var before = fixture.Tokens.Requests;

        await feature.Catalog.TagsAsync(App);
        feature.Time.Advance(TimeSpan.FromSeconds(31));
        var stillValid = await feature.Catalog.TagsAsync(App);
        var tokensWhileValid = fixture.Tokens.Requests - before;
        feature.Time.Advance(TimeSpan.FromSeconds(fixture.Tokens.ExpiresInSeconds));
        var renewed = await feature.Catalog.TagsAsync(App);

        Assert.True(stillValid.Succeeded && renewed.Succeeded);
        Assert.Equal(1, tokensWhileValid);
        Assert.Equal(2, fixture.Tokens.Requests - before);
    }

    [Fact]
    public async Task TokenServicesThatAnswerWithAccessTokenAreUnderstood()
    {
        await using var feature = Feature();
        fixture.Tokens.AnswersWithAccessToken = true;
        try
        {
            var resolution = await feature.Catalog.ResolveAsync(App, "1.0.0");

            Assert.Equal(fixture.Digest, resolution.Digest);
        }
        finally
        {
            fixture.Tokens.AnswersWithAccessToken = false;
        }
    }

    [Fact]
    public async Task RefusedTokenRequestsAreReportedAsUnauthorized()
    {
        await using var feature = Feature(password: "not-the-password");

        var listing = await feature.Catalog.TagsAsync(App);

        Assert.Equal(RegistryStatus.Unauthorized, listing.Status);
        Assert.Equal("The registry 'local' refused access to team/app: check the credentials configured for it.", listing.Message);
        Assert.Contains(feature.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Unauthorized", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PasswordsAndTokensNeverAppearInLogsOrMessages()
    {
        const string wrong = "Wr0ng-Token-Passw0rd";
        await using var good = Feature();
        await using var bad = Feature(password: wrong);

        var messages = new[] { (await good.Catalog.TagsAsync(App)).Message, (await bad.Catalog.ResolveAsync(App, "1.0.0")).Message };
        var secrets = new[]
        {
            TokenRegistryFixture.Password,
            wrong,
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TokenRegistryFixture.Username}:{TokenRegistryFixture.Password}")),
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TokenRegistryFixture.Username}:{wrong}")),
            fixture.Tokens.LastIssued!,
        };

        var said = good.Logs.Lines.Concat(bad.Logs.Lines).Concat(messages.OfType<string>()).ToList();
        Assert.Contains(said, l => l.Contains("Authorization", StringComparison.Ordinal));
        Assert.All(said, line => Assert.All(secrets, secret => Assert.DoesNotContain(secret, line, StringComparison.Ordinal)));
    }
}
