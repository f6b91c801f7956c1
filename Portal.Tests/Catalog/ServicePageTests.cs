using Portal.Tests.Infrastructure;

namespace Portal.Tests.Catalog;

public sealed class ServicePageTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task ServicePageShowsItsSettingsAndEveryConfiguredEnvironment()
    {
        var client = await app.SignedInClientAsync("dave");

        var page = await client.GetStringAsync("/services/payments/payments-api");

        Assert.Contains("registry.example.com/payments/api", page);
        Assert.Contains("payments-staging", page);
        Assert.Contains("payments-production", page);
        Assert.Contains("Not deployed", page);
        Assert.DoesNotContain("edit-service", page);
    }

    [Fact]
    public async Task TeamMemberSeesEditAndArchiveOnTheirService()
    {
        var client = await app.SignedInClientAsync("alice");

        var page = await client.GetStringAsync("/services/payments/payments-api");

        Assert.Contains("edit-service", page);
        Assert.Contains("archive-service", page);
    }

    [Fact]
    public async Task UnknownServiceSaysItIsNotThere()
    {
        var client = await app.SignedInClientAsync("alice");

        var page = await client.GetStringAsync("/services/payments/nope");

        Assert.Contains("There is no service payments/nope.", page);
    }

    [Fact]
    public async Task UnknownAddressShowsTheNotFoundPage()
    {
        var client = await app.SignedInClientAsync("alice");

        var response = await client.GetAsync("/no/such/page");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("There is nothing at this address.", await response.Content.ReadAsStringAsync());
    }
}
