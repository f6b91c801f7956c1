using System.Net;
using Portal.Registry;
using Portal.Tests.Infrastructure;
using SelfService.Cli;

namespace Portal.Tests.Cli;

/// <summary>The tags endpoint and <c>selfservice tags</c> against the embedded Sandbox's registry (the demo tags of the demo services).</summary>
public sealed class TagsApiTests : IAsyncLifetime
{
    private readonly PortalApp app = new PortalApp().With("Sandbox:Registry", "true");

    public Task InitializeAsync() => app.InitializeAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task TheTagsEndpointListsTheRegistrysTagsNewestFirstWithDigestsAndCreatedTimes()
    {
        var alice = await app.ClientAsync("alice");
        var expected = await app.Get<ImageCatalog>().TagsAsync("registry.example.com/payments/api");

        var response = await alice.GetAsync("/api/services/payments/payments-api/tags");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.Equal("registry.example.com/payments/api", json.GetProperty("repository").GetString());
        Assert.Equal("sandbox", json.GetProperty("registry").GetString());
        var tags = json.GetProperty("tags").EnumerateArray().ToList();
        Assert.Equal(["v1.5.0-crash", "v1.4.2", "v1.4.0", "v1.3.0", "v1.2.1", "v1.2.0", "v1.1.0", "v1.0.0"], tags.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(expected.Tags.Select(t => t.Digest), tags.Select(t => t.GetProperty("digest").GetString()));
        Assert.All(tags, t => Assert.StartsWith("sha256:", t.GetProperty("digest").GetString()));
        Assert.All(tags, t => Assert.True(t.GetProperty("created").GetDateTimeOffset() > DateTimeOffset.MinValue));
    }

    [Fact]
    public async Task TheTagsEndpointIsForTheServicesTeamOnly()
    {
        var dave = await app.ClientAsync("dave");
        var carol = await app.ClientAsync("carol");

        var other = await dave.GetAsync("/api/services/payments/payments-api/tags");
        var admin = await carol.GetAsync("/api/services/payments/payments-api/tags");
        var unknown = await dave.GetAsync("/api/services/payments/nothing-here/tags");

        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheTagsCommandPrintsAnAlignedTableAndJsonForScripts()
    {
        var token = await app.TokenAsync("alice");
        var digest = (await app.Get<ImageCatalog>().ResolveAsync("registry.example.com/payments/api", "v1.4.2")).Digest;

        var table = await CliRunner.RunAsync(app.BaseAddress, token, "tags", "payments/payments-api");
        var json = await CliRunner.RunAsync(app.BaseAddress, token, "tags", "payments/payments-api", "--output", "json");

        Assert.True(table.ExitCode == ExitCodes.Ok, table.ToString());
        var lines = table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^TAG\s+DIGEST\s+CREATED$", lines[0]);
        Assert.Matches($@"^v1\.4\.2\s+{digest}\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ$", lines[2]);
        // Aligned: every digest starts in the same column.
        Assert.Single(lines.Skip(1).Select(l => l.IndexOf("sha256:", StringComparison.Ordinal)).Distinct());
        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        Assert.Equal(8, System.Text.Json.JsonDocument.Parse(json.Output).RootElement.GetProperty("tags").GetArrayLength());
    }
}
