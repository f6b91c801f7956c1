using Bunit;
using Portal.Registry;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Infrastructure;
using Portal.Tests.Registry;

namespace Portal.Tests.Components;

/// <summary>The request form's tag picker and the request page against a real docker-registry.</summary>
public sealed class TagPickerTests(RegistryPortal fixture) : PortalComponentTest(fixture.App), IClassFixture<RegistryPortal>
{
    [Fact]
    public async Task PickingFromTheRegistryShowsTagsNewestFirstWithDigestsHidesLatestAndMarksWhatRuns()
    {
        await fixture.RegisterServiceAsync("picker-api");
        await App.MarkDeployedAsync((await App.SubmitRequestAsync("alice", "picker-api", "staging", form => form.ImageTag = "v1")).Id);
        await SignInAsAsync("alice");
        var popovers = RenderPopoverProvider();
        var cut = RenderForm("picker-api", "production");

        cut.Input("#image-tag", "v");

        popovers.WaitForAssertion(() => Assert.Equal(["v2", "v10", "v1"], popovers.FindAll(".tag-option").Select(o => o.GetAttribute("data-tag"))));
        var v2 = popovers.Find(".tag-option[data-tag=v2]");
        Assert.Equal(fixture.Digests["v2"]["sha256:".Length..][..12], v2.QuerySelector(".tag-digest")!.TextContent);
        Assert.Equal("2024-03-01 00:00", v2.QuerySelector(".tag-created")!.TextContent);
        Assert.Equal("running in staging", popovers.Find(".tag-option[data-tag=v1] .tag-running").TextContent.Trim());
        Assert.Empty(popovers.FindAll(".tag-option[data-tag=latest]"));

        cut.Change("#show-latest", true);
        cut.Input("#image-tag", "lat");
        popovers.WaitForAssertion(() => Assert.Single(popovers.FindAll(".tag-option[data-tag=latest]")));

        cut.Input("#image-tag", "v2");
        popovers.WaitForElement(".tag-option[data-tag=v2]");
        popovers.FindAll(".mud-list-item").Single(i => i.QuerySelector(".tag-option[data-tag=v2]") is not null).Click();
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        Assert.Equal("v2", cut.Find("#review-tag").TextContent);
        Assert.Equal(ImagePinning.Short(fixture.Digests["v2"]), cut.Find("#review-digest").TextContent);
        Assert.Empty(cut.FindAll("#tag-registry-warning"));
    }

    [Fact]
    public async Task ATagTheRegistryDoesNotHaveIsRefusedNextToTheField()
    {
        await fixture.RegisterServiceAsync("picker-missing");
        await SignInAsAsync("alice");
        var cut = RenderForm("picker-missing", "staging");

        RequestFormTests.TypeTag(cut, "v9");
        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.Contains(
            $"Tag v9 does not exist in {fixture.Repository}.",
            cut.Find(".mud-input-control:has(#image-tag) .mud-input-helper-text").TextContent));
        Assert.Empty(cut.FindAll("#review-step"));
    }

    [Fact]
    public async Task TheRequestPageFlagsATagThatMovedAfterTheRequest()
    {
        await fixture.RegisterServiceAsync("moving-api", "payments/moving");
        var before = await fixture.Pusher.PushImageAsync("payments/moving", "v2", "2024-06-01T00:00:00Z");
        var request = await App.SubmitRequestAsync("alice", "moving-api", "production", form => form.ImageTag = "v2");
        var after = await fixture.Pusher.PushImageAsync("payments/moving", "v2", "2024-07-01T00:00:00Z");
        await SignInAsAsync("alice");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForElement("#tag-moved");
        Assert.Contains($"tag v2 now points to {ImagePinning.Short(after)}; this request deploys {ImagePinning.Short(before)}", cut.Find("#tag-moved").TextContent);
        Assert.Contains($"{fixture.Repository.Replace("api", "moving")}:v2@{before}", cut.Find("#spec-image").TextContent);
    }

    [Fact]
    public async Task TheRequestPageDoesNotFlagATagThatStayed()
    {
        await fixture.RegisterServiceAsync("steady-api");
        var request = await App.SubmitRequestAsync("alice", "steady-api", "production", form => form.ImageTag = "v10");
        await SignInAsAsync("alice");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForElement("#spec-image");
        Assert.Empty(cut.FindAll("#tag-moved"));
    }

    private IRenderedComponent<RequestEditor> RenderForm(string service, string environment)
    {
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, service).Add(x => x.EnvironmentName, environment));
        cut.WaitForElement("#image-tag");
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        return cut;
    }
}

/// <summary>A portal whose registry does not answer (nothing listens on its port), with a <c>locked</c> environment.</summary>
public sealed class UnreachableRegistryPortal : IAsyncLifetime
{
    public PortalApp App { get; private set; } = null!;

    public string Host { get; } = $"127.0.0.1:{LocalRegistry.FreePort()}";

    public async Task InitializeAsync() => App = await PortalApp.StartAsync(
        ("Registries:0:Name", "down"),
        ("Registries:0:Url", $"http://{Host}"),
        ("ImageCatalog:RequestTimeoutSeconds", "2"),
        ("Environments:0:Name", "staging"),
        ("Environments:1:Name", "locked"),
        ("Environments:1:AllowManualImageTag", "false"));

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class UnreachableRegistryTests(UnreachableRegistryPortal fixture) : PortalComponentTest(fixture.App), IClassFixture<UnreachableRegistryPortal>
{
    [Fact]
    public async Task AnUnreachableRegistryIsAWarningAndATypedTagIsStillAccepted()
    {
        await RegisterAsync("down-open");
        await SignInAsAsync("alice");
        var cut = RenderForm("down-open", "staging");

        cut.WaitForAssertion(() => Assert.Contains("Type the tag yourself", cut.Find("#tag-registry-warning").TextContent));
        RequestFormTests.TypeTag(cut, "v3");
        cut.Submit("form");

        cut.WaitForElement("#review-step");
        Assert.Contains("Tag v3 is not checked", cut.Find("#review-image-warning").TextContent);
        Assert.Empty(cut.FindAll("#review-digest"));
        var request = await App.SubmitRequestAsync("alice", "down-open", "staging", form => form.ImageTag = "v3");
        Assert.Null(request.Spec.ImageDigest);
    }

    [Fact]
    public async Task WhereManualTagsAreNotAllowedAnUnverifiableTagIsRefusedSayingWhy()
    {
        await RegisterAsync("down-locked");
        await SignInAsAsync("alice");
        var cut = RenderForm("down-locked", "locked");

        cut.WaitForAssertion(() => Assert.Contains("locked accepts only tags the registry confirms", cut.Find("#tag-registry-warning").TextContent));
        RequestFormTests.TypeTag(cut, "v3");
        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.Contains(
            "locked accepts only tags the registry confirms, and tag v3 cannot be checked",
            cut.Find(".mud-input-control:has(#image-tag) .mud-input-helper-text").TextContent));
        var alice = await App.ClientAsync("alice");
        var response = await alice.SubmitAsync("payments", "down-locked", "locked", new { imageTag = "v3" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("cannot be checked", (await response.JsonAsync()).GetProperty("errors").GetProperty("ImageTag")[0].GetString());
    }

    private async Task RegisterAsync(string name)
    {
        var outcome = await App.Get<Portal.Catalog.ServiceCatalog>().RegisterAsync(await App.PrincipalAsync("alice"), new Portal.Catalog.ServiceForm
        {
            Name = name,
            Team = "payments",
            ImageRepository = $"{fixture.Host}/payments/{name}",
            ContainerPort = 8080,
        });
        Assert.True(outcome.Succeeded, outcome.Message);
    }

    private IRenderedComponent<RequestEditor> RenderForm(string service, string environment)
    {
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, service).Add(x => x.EnvironmentName, environment));
        cut.WaitForElement("#image-tag");
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        return cut;
    }
}
