using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

public sealed class ServiceEditorTests(PortalApp app) : PortalComponentTest(app)
{
    [Theory]
    [InlineData("#service-name", "Bad_Name", "Service name must be lowercase letters")]
    [InlineData("#service-image", "registry.example.com/payments/api:v1", "without a tag or digest")]
    [InlineData("#service-repo", "not a url", "Repository link must be an http:// or https:// URL.")]
    public async Task BadInputShowsTheMessageNextToTheFieldAndStoresNothing(string field, string value, string message)
    {
        await SignInAsAsync("alice");
        var before = await CountServicesAsync();
        var cut = Render<ServiceEditor>();
        Fill(cut, "form-test-svc", "registry.example.com/payments/form-test");

        cut.Find(field).Change(value);
        cut.Submit("form");

        // The message may come back from the server after the submit: wait for it, never assume it is there at once.
        cut.WaitForAssertion(() =>
        {
            var fieldControl = cut.Find($".mud-input-control:has({field})");
            Assert.Contains(message, fieldControl.QuerySelector(".mud-input-helper-text")?.TextContent ?? "");
            Assert.Contains("mud-input-error", fieldControl.InnerHtml);
        });
        Assert.Equal(before, await CountServicesAsync());
    }

    [Fact]
    public async Task DuplicateNameInTheTeamIsRefusedWithAClearMessage()
    {
        await SignInAsAsync("alice");
        var cut = Render<ServiceEditor>();
        Fill(cut, "payments-api", "registry.example.com/payments/api");

        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.Contains("payments already has a service named 'payments-api'.", cut.Find(".mud-input-control:has(#service-name)").TextContent));
        Assert.Equal(1, await App.WithDbAsync(db => db.Services.CountAsync(s => s.Name == "payments-api")));
    }

    [Fact]
    public async Task ValidRegistrationIsStoredAndOpensTheServicePage()
    {
        await SignInAsAsync("alice");
        var cut = Render<ServiceEditor>();
        Fill(cut, "ledger", "registry.example.com/payments/ledger");
        cut.Change("#service-description", "Double-entry ledger");

        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.EndsWith("/services/payments/ledger", CurrentUri));
        var stored = await App.WithDbAsync(db => db.Services.Include(s => s.Team).SingleAsync(s => s.Name == "ledger"));
        Assert.Equal(("payments", "registry.example.com/payments/ledger", "Double-entry ledger", "alice"), (stored.Team.Name, stored.ImageRepository, stored.Description, stored.CreatedBy));
    }

    [Fact]
    public async Task UserWithoutATeamIsToldToAskAnAdmin()
    {
        await SignInAsAsync("alice");
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, "nobody"));

        var cut = Render<ServiceEditor>();

        cut.WaitForAssertion(() => Assert.Contains("You are not in a team", cut.Markup));
        Assert.Empty(cut.FindAll("form"));
    }

    private static void Fill(IRenderedComponent<ServiceEditor> cut, string name, string image)
    {
        cut.WaitForElement("#service-name");
        cut.Change("#service-name", name);
        cut.Change("#service-image", image);
    }

    private Task<int> CountServicesAsync() => App.WithDbAsync(db => db.Services.CountAsync());
}
