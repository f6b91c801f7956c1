using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Catalog;
using Portal.Imports;
using Portal.Imports.Pages;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Imports;

public sealed class ComposeImportPageTests : PortalComponentTest
{
    public ComposeImportPageTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<ComposeImport>());
    }

    private IRenderedComponent<ComposeImportPage> RenderWithFile(string yaml)
    {
        var cut = Render<ComposeImportPage>();
        cut.WaitForElement("#choose-file");
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(yaml, "docker-compose.yml"));
        return cut;
    }

    [Fact]
    public async Task TheUploadedFileShowsThePlanPerServiceWithWhatIsNotCarriedAndNoSecretValue()
    {
        await SignInAsAsync("alice");

        var cut = RenderWithFile(ComposeSamples.ThreeServices("bunitplan"));

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll(".planned-service").Count));
        var db = cut.Find("#plan-bunitplan-db").TextContent;
        Assert.Contains("postgres:16", db);
        Assert.Contains("db-data (1Gi, ReadWriteOnce) at /var/lib/postgresql/data", db);
        Assert.Contains("services.bunitplan-db.privileged", db);
        Assert.Contains("POSTGRES_PASSWORD is a secret", db);
        Assert.Contains("none: a worker, no Service object", cut.Find("#plan-bunitplan-worker").TextContent);
        Assert.Contains("services.bunitplan-api.depends_on", cut.Find("#plan-bunitplan-api").TextContent);
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, cut.Markup);
        Assert.DoesNotContain("tok-123-abc", cut.Markup);
    }

    [Fact]
    public async Task ImportWaitsForEachSecretToBeConfirmedThenRegistersTheChosenServices()
    {
        await SignInAsAsync("alice");
        var cut = RenderWithFile(ComposeSamples.ThreeServices("bunitimp"));
        cut.WaitForElement("#plan-bunitimp-db");
        cut.Change("#choose-bunitimp-api", false);

        cut.Click("#import-services");

        cut.WaitForAssertion(() => Assert.Contains("services.bunitimp-db.secrets.POSTGRES_PASSWORD", cut.Find("#import-errors").TextContent));
        Assert.Equal(0, await App.WithDbAsync(d => d.Services.CountAsync(s => s.Name.StartsWith("bunitimp-"))));

        cut.Change("#secret-bunitimp-db-POSTGRES_PASSWORD", true);
        cut.Click("#import-services");

        cut.WaitForAssertion(() => Assert.Contains("Imported 2 services into payments.", cut.Find("#import-result").TextContent));
        Assert.Equal("/services/payments/bunitimp-db", cut.Find("#imported-bunitimp-db a").GetAttribute("href"));
        var stored = await App.WithDbAsync(d => d.Services.Where(s => s.Name.StartsWith("bunitimp-")).OrderBy(s => s.Name).Select(s => new { s.Name, s.Kind }).ToListAsync());
        Assert.Equal([("bunitimp-db", ServiceKind.Web), ("bunitimp-worker", ServiceKind.Worker)], stored.Select(s => (s.Name, s.Kind)));
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, cut.Markup);
    }

    [Fact]
    public async Task AHostileFileIsRefusedWithTheReasonAndShowsNoPlan()
    {
        await SignInAsAsync("alice");

        var cut = RenderWithFile(ComposeSamples.AliasBomb);

        cut.WaitForAssertion(() => Assert.Contains("alias bomb", cut.Find("#import-errors").TextContent));
        Assert.Empty(cut.FindAll(".planned-service"));
        Assert.Empty(cut.FindAll("#import-services"));
    }
}
