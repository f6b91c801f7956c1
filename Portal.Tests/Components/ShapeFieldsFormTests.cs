using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>The Ingress, rollout strategy, PodDisruptionBudget and startup probe sections of the request form, filled in as a user does.</summary>
public sealed class ShapeFieldsFormTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task IngressStrategyBudgetAndStartupProbeFilledInTheFormAreStoredInTheRequest()
    {
        var service = await App.RegisterServiceAsync("shape-form");
        await SignInAsAsync("alice");
        var cut = RenderForm(service.Name);
        RequestFormTests.TypeTag(cut, "v1");

        cut.Change("#ingress-enabled", true);
        cut.Change("#ingress-host", "shape-form.example.com");
        cut.Change("#ingress-path", "/api");
        cut.Change("#max-surge", "50%");
        cut.Change("#max-unavailable", "0");
        cut.Change("#pdb-enabled", true);
        cut.Change("#pdb-value", "1");
        cut.Change("#startup-enabled", true);
        cut.Change("#startup-path", "/started");
        cut.Change("#startup-failure", "30");
        cut.Submit("form");
        cut.WaitForElement("#review-step");
        cut.Click("#submit");

        cut.WaitForAssertion(() => Assert.Matches(@"/requests/\d+$", CurrentUri));
        var id = int.Parse(CurrentUri[(CurrentUri.LastIndexOf('/') + 1)..]);
        var spec = await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.Spec).SingleAsync());
        Assert.Equal(("shape-form.example.com", "/api", IngressPathType.Prefix), (spec.Ingress!.Host, spec.Ingress.Path, spec.Ingress.PathType));
        Assert.Equal(new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "50%", "0"), spec.Strategy);
        Assert.NotNull(spec.DisruptionBudget);
        Assert.Contains("1", new[] { spec.DisruptionBudget!.MinAvailable, spec.DisruptionBudget.MaxUnavailable });
        Assert.Equal(("/started", 30), (spec.Startup!.Path, spec.Startup.FailureThreshold));
    }

    [Fact]
    public async Task MaxSurgeAboveAHundredPercentIsAcceptedAsTheApiServerAcceptsIt()
    {
        await SignInAsAsync("alice");
        var cut = RenderForm("payments-api");
        RequestFormTests.TypeTag(cut, "v1");
        cut.Change("#max-surge", "200%");
        cut.Change("#max-unavailable", "0");

        cut.Submit("form");

        // The review step replaces the form only when every field is valid; a refused max surge keeps the form.
        cut.WaitForElement("#review-step");
        Assert.Empty(cut.FindAll(".mud-input-error"));
    }

    [Theory]
    [InlineData("#ingress-host", "The host must be lowercase letters")]
    [InlineData("#max-unavailable", "cannot both be 0")]
    [InlineData("#max-unavailable", "Max unavailable must be at most 100%.")]
    public async Task BadShapeInputShowsItsMessageNextToItsFieldAndStoresNothing(string field, string message)
    {
        await SignInAsAsync("alice");
        var before = await App.WithDbAsync(db => db.DeploymentRequests.CountAsync());
        var cut = RenderForm("payments-api");
        RequestFormTests.TypeTag(cut, "v1");
        if (field == "#ingress-host")
        {
            cut.Change("#ingress-enabled", true);
            cut.Change("#ingress-host", "Shop_Front.example.com");
        }
        else if (message.StartsWith("cannot", StringComparison.Ordinal))
        {
            cut.Change("#max-surge", "0");
            cut.Change("#max-unavailable", "0%");
        }
        else
        {
            cut.Change("#max-unavailable", "101%");
        }

        cut.Submit("form");

        cut.WaitForAssertion(() =>
        {
            var control = cut.Find($".mud-input-control:has({field})");
            Assert.Contains(message, control.QuerySelector(".mud-input-helper-text")?.TextContent ?? "");
            Assert.Contains("mud-input-error", control.InnerHtml);
        });
        Assert.Empty(cut.FindAll("#review-step"));
        Assert.Equal(before, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
    }

    private IRenderedComponent<RequestEditor> RenderForm(string service)
    {
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, service).Add(x => x.EnvironmentName, "staging"));
        cut.WaitForElement("#image-tag");
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        return cut;
    }
}
