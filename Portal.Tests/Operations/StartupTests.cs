using System.Net;
using Microsoft.Extensions.Options;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Operations;

public sealed class StartupTests
{
    [Fact]
    public async Task HealthEndpointsAnswerWithoutSignIn()
    {
        await using var app = await PortalApp.StartAsync();
        var client = app.CreateBrowserlikeClient();

        var healthz = await client.GetAsync("/healthz");
        var readyz = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Equal("Healthy", await readyz.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ReadinessFailsWhenTheDatabaseIsGone()
    {
        await using var app = await PortalApp.StartAsync();
        var client = app.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        // A database that cannot be opened: the file is replaced by a folder of the same name. Background workers
        // keep opening the database and may create the file again between the delete and the folder: try again then.
        var database = Path.Combine(app.DataDirectory, "portal.db");
        for (var attempt = 0; !Directory.Exists(database); attempt++)
        {
            Assert.True(attempt < 100, "could not replace the database file");
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in Directory.GetFiles(app.DataDirectory, "portal.db*"))
            {
                File.Delete(file);
            }

            try
            {
                Directory.CreateDirectory(database);
            }
            catch (IOException)
            {
            }
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Theory]
    [InlineData("Environments:0:Name", "Bad_Name", "Environments:0:Name")]
    [InlineData("Environments:0:MaxReplicas", "0", "Environments:0:MaxReplicas must be at least 1")]
    [InlineData("Environments:0:NamespacePattern", "shared", "Environments:0:NamespacePattern must contain {team}")]
    public async Task BadEnvironmentSettingStopsStartUpNamingTheKey(string key, string value, string expected)
    {
        var app = new PortalApp().With("Environments:0:Name", "staging").With(key, value);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains(expected, error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task OidcWithoutClientIdStopsStartUpNamingTheKey()
    {
        var app = new PortalApp().With("Authentication:Oidc:Authority", "https://idp.example.com");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);

        Assert.Contains("Authentication:Oidc:ClientId", error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task SeedingCanBeTurnedOff()
    {
        await using var app = await PortalApp.StartAsync(("Portal:SeedDemoData", "false"));

        var users = await app.WithDbAsync(db => Task.FromResult(db.Users.Count()));
        var page = await app.CreateBrowserlikeClient().GetStringAsync("/account/signin");

        Assert.Equal(0, users);
        Assert.DoesNotContain("demo-users", page);
    }

    [Fact]
    public async Task EnvironmentsDefaultToStagingAndProductionWithApproval()
    {
        await using var app = await PortalApp.StartAsync();

        var environments = app.Get<IOptions<Portal.Cluster.EnvironmentCatalog>>().Value.Environments;

        Assert.Collection(environments,
            staging => Assert.Equal(("staging", false, "payments-staging"), (staging.Name, staging.RequiresApproval, staging.NamespaceFor("payments"))),
            production => Assert.Equal(("production", true, "payments-production"), (production.Name, production.RequiresApproval, production.NamespaceFor("payments"))));
    }
}
