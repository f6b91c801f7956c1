using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Catalog;
using Portal.Catalog.Components;
using Portal.Catalog.Pages;
using Portal.Components.Layout;
using Portal.Components.Shared;
using Portal.Identity;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Rollouts;
using Portal.Rollouts.Components;
using Portal.Rollouts.Pages;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>The rough edges a new user hit (issue 14), each as what the user sees now.</summary>
public sealed class RoughEdgeTests : PortalComponentTest
{
    public RoughEdgeTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<RolloutNotifier>());
        Services.AddSingleton(app.Get<RolloutStreams>());
        Services.AddSingleton(app.Get<RolloutQueries>());
    }

    [Fact]
    public async Task Edge01TheRolloutPageOfASucceededRequestShowsOneChipNotTwo()
    {
        await App.RegisterServiceAsync("edge-chips");
        var request = await App.SubmitRequestAsync("alice", "edge-chips", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(request.Id);
        await SignInAsAsync("alice");

        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("Succeeded", cut.Find("#phase-chip").TextContent));
        Assert.Empty(cut.FindAll("#state-chip"));
        Assert.Single(cut.FindAll("#page-title ~ .mud-chip, .mud-chip#phase-chip"));
    }

    [Fact]
    public async Task Edge02AfterSucceededEveryPodOfTheStoredSnapshotIsReady()
    {
        await App.RegisterServiceAsync("edge-ready");
        var request = await App.SubmitRequestAsync("alice", "edge-ready", "staging", form => { form.ImageTag = "v1"; form.Replicas = 2; });
        await App.MarkDeployedAsync(request.Id);

        var snapshot = await App.WithDbAsync(db => db.RolloutRecords.Where(r => r.RequestId == request.Id).Select(r => r.LastSnapshot).SingleAsync());

        Assert.Equal(RolloutPhase.Succeeded, snapshot!.Phase);
        var newPods = snapshot.Pods.Where(p => p.IsNew).ToList();
        Assert.Equal(2, newPods.Count);
        Assert.All(newPods, p => Assert.True(p.Ready, $"{p.Name} is {p.Phase}/{p.Reason}, not ready"));
    }

    [Fact]
    public void Edge03EventMessagesWithDigestsWrapInsideTheTable()
    {
        var digest = "sha256:" + new string('a', 64);
        var cut = Render<EventList>(p => p.Add(x => x.Events, [new EventLine(DateTimeOffset.UtcNow, "Normal", "Pulling", "pod/x", $"Pulling image \"registry.example.com/payments/api:v1@{digest}\"", 1)]));

        var cell = cut.Find(".event-message");
        Assert.Contains(digest, cell.TextContent);
        var css = File.ReadAllText(Path.Combine(RepositoryRoot.Folder, "Portal", "wwwroot", "app.css"));
        Assert.Contains(".event-message { overflow-wrap: anywhere;", css);
    }

    [Fact]
    public async Task Edge05DarkModeIsKeptPerUserAccount()
    {
        await SignInAsAsync("dave");
        var first = RenderLayout();
        Assert.Equal("Switch to dark mode", first.Find("#dark-mode").GetAttribute("aria-label"));

        first.Click("#dark-mode");

        first.WaitForAssertion(() => Assert.Equal("Switch to light mode", first.Find("#dark-mode").GetAttribute("aria-label")));
        var dave = TeamAccess.UserId(await App.PrincipalAsync("dave"))!;
        Assert.True(await App.Get<ThemePreference>().IsDarkAsync(dave));
        // A new page load (a new layout) for dave starts dark; carol's starts light.
        await DisposeComponentsAsync();
        var again = RenderLayout();
        again.WaitForAssertion(() => Assert.Equal("Switch to light mode", again.Find("#dark-mode").GetAttribute("aria-label")));
        Assert.False(await App.Get<ThemePreference>().IsDarkAsync(TeamAccess.UserId(await App.PrincipalAsync("carol"))!));
        await App.Get<ThemePreference>().SetDarkAsync(dave, false);
    }

    [Fact]
    public async Task Edge07And25ThePageTrailLinksTheTeamAndShowsTheCurrentPageAsPlainText()
    {
        await SignInAsAsync("alice");

        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "payments-api"));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".page-trail")));
        var team = cut.Find(".page-trail a[href='/services?team=payments']");
        Assert.Equal("payments", team.TextContent.Trim());
        var current = cut.Find(".page-trail [aria-current='page']");
        Assert.Equal("span", current.TagName.ToLowerInvariant());
        Assert.Equal("payments-api", current.TextContent.Trim());
        Assert.Empty(cut.FindAll(".page-trail a[href='#'], .mud-breadcrumbs"));

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("team", "search"));
        var list = Render<ServiceList>();
        list.WaitForAssertion(() => Assert.Contains("search-indexer", list.Markup));
        Assert.DoesNotContain("payments-api", list.Markup);
    }

    [Fact]
    public async Task Edge08SucceededIsGreenInTheRequestPagesTimelineAsEverywhere()
    {
        await App.RegisterServiceAsync("edge-green");
        var request = await App.SubmitRequestAsync("alice", "edge-green", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(request.Id);
        await SignInAsAsync("alice");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("Succeeded", cut.Find("#state-chip").TextContent));
        Assert.Contains("success", cut.Find("#state-chip").ClassName);
        var succeeded = cut.FindAll("#timeline .mud-timeline-item").Single(i => i.TextContent.Contains("Rolling out → Succeeded", StringComparison.Ordinal));
        Assert.Contains("success", succeeded.OuterHtml);
        Assert.DoesNotContain("primary", succeeded.OuterHtml);
    }

    [Fact]
    public void Edge09EmptyStatesAreNotPink()
    {
        var cut = Render<EmptyState>(p => p.Add(x => x.Title, "Nothing here"));

        Assert.DoesNotContain("secondary-text", cut.Find(".mud-icon-root").ClassName ?? "");
        Assert.DoesNotContain("mud-secondary", cut.Markup);
        Assert.Equal("status", cut.Find(".empty-state").GetAttribute("role"));
    }

    [Fact]
    public void Edge10EmptyRepositoryAndRunbookSayNotSet()
    {
        var service = new Service { Name = "bare", ImageRepository = "registry.example.com/x/bare", ContainerPort = 8080, CreatedBy = "alice", Team = new Team { Name = "payments" } };

        var cut = Render<ServiceSettings>(p => p.Add(x => x.Service, service));

        Assert.Equal("not set", cut.Find("#detail-repository").TextContent.Trim());
        Assert.Equal("not set", cut.Find("#detail-runbook").TextContent.Trim());
    }

    [Fact]
    public async Task Edge11ARedactedSecretReadsRedactedInTheAppliedManifests()
    {
        await App.RegisterServiceAsync("edge-redacted");
        var request = await App.SubmitRequestAsync("alice", "edge-redacted", "staging", form =>
        {
            form.ImageTag = "v1";
            form.Replicas = 1;
            form.Secrets.Add(new SecretRow { Key = "API_KEY", NewValue = "edge-secret-value" });
        });
        await App.MarkDeployedAsync(request.Id);

        var manifests = await App.Get<RolloutQueries>().AppliedManifestsAsync(await App.PrincipalAsync("alice"), request.Id);

        Assert.Contains("API_KEY: (redacted)", manifests);
        Assert.DoesNotContain(Convert.ToBase64String("(redacted)"u8.ToArray()), manifests);
        Assert.DoesNotContain("edge-secret-value", manifests);
    }

    [Fact]
    public async Task Edge12TheTeamSelectHasAnAccessibleLabel()
    {
        await SignInAsAsync("alice");

        var cut = Render<ServiceEditor>();

        cut.WaitForElement("#service-team");
        Assert.NotEmpty(cut.FindAll("[aria-label='Team']"));
    }

    [Fact]
    public async Task Edge14ASupersededRequestIsConsistentAndOffersReSubmitOnlyToItsRequester()
    {
        await App.RegisterServiceAsync("edge-superseded");
        var stale = await App.SubmitRequestAsync("alice", "edge-superseded", "production", form => form.ImageTag = "v2");
        var winner = await App.SubmitRequestAsync("alice", "edge-superseded", "production", form => form.ImageTag = "v1");
        Assert.True((await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("bob"), winner.Id, null)).Succeeded);
        await App.MarkDeployedAsync(winner.Id);

        await SignInAsAsync("bob");
        var forBob = Render<RequestPage>(p => p.Add(x => x.Id, stale.Id));
        forBob.WaitForAssertion(() => Assert.Contains("Superseded", forBob.Find("#state-chip").TextContent));
        Assert.Empty(forBob.FindAll("#resubmit"));
        Assert.Contains($"Request #{winner.Id} was applied first", forBob.Find("#superseded").TextContent);
        Assert.DoesNotContain("is current", forBob.Find("#superseded").TextContent);

        await SignInAsAsync("alice");
        var forAlice = Render<RequestPage>(p => p.Add(x => x.Id, stale.Id));
        forAlice.WaitForAssertion(() => Assert.NotEmpty(forAlice.FindAll("#resubmit")));
    }

    [Fact]
    public async Task Edge15AnotherTeamSeesRevisionAndRolloutAsPlainTextNotLinksTo403Pages()
    {
        await App.RegisterServiceAsync("edge-outsider");
        var request = await App.SubmitRequestAsync("alice", "edge-outsider", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(request.Id);

        await SignInAsAsync("dave");
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "edge-outsider"));

        cut.WaitForAssertion(() => Assert.Contains("revision 1", cut.Find("#revision-staging").TextContent));
        cut.WaitForAssertion(() => Assert.Contains($"#{request.Id}", cut.Find("#rollout-link-staging").TextContent));
        Assert.Empty(cut.Find("#revision-staging").QuerySelectorAll("a"));
        Assert.NotEqual("a", cut.Find("#rollout-link-staging").TagName.ToLowerInvariant());
        Assert.Empty(cut.FindAll($"a[href='/requests/{request.Id}'], a[href='/rollouts/{request.Id}']"));

        await SignInAsAsync("alice");
        var member = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "edge-outsider"));
        member.WaitForAssertion(() => Assert.NotEmpty(member.FindAll($"a[href='/rollouts/{request.Id}']")));
    }

    [Fact]
    public async Task Edge17TheCatalogShowsEachEnvironmentsStateAndVersion()
    {
        await App.RegisterServiceAsync("edge-catalog");
        var request = await App.SubmitRequestAsync("alice", "edge-catalog", "staging", form => { form.ImageTag = "v7"; form.Replicas = 1; });
        await App.MarkDeployedAsync(request.Id);
        await SignInAsAsync("dave");

        var page = await App.Get<ServiceCatalog>().PageAsync(await App.PrincipalAsync("dave"), new CatalogQuery(Search: "edge-catalog"));
        var row = Assert.Single(page.Items);
        var staging = Assert.Single(row.Environments);
        Assert.Equal(("staging", RequestState.Succeeded, "v7"), (staging.Environment, staging.State, staging.ImageTag));

        var cut = Render<ServiceList>();
        cut.WaitForAssertion(() => Assert.Contains("v7", cut.Find("#env-payments-edge-catalog-staging").TextContent));
        Assert.Equal("Succeeded", cut.Find("#env-payments-edge-catalog-staging").GetAttribute("data-state"));
        Assert.Contains("not deployed", cut.Find("#env-payments-edge-catalog-production").TextContent);
    }

    [Fact]
    public async Task Edge18TheApprovalsInboxShowsTheRequestersComment()
    {
        await App.RegisterServiceAsync("edge-comment");
        var request = await App.SubmitRequestAsync("alice", "edge-comment", "production", form => { form.ImageTag = "v1"; form.Comment = "Fixes the retry storm"; });
        await SignInAsAsync("bob");

        var cut = Render<ApprovalInbox>();

        cut.WaitForAssertion(() => Assert.Contains("Fixes the retry storm", cut.Find($"#inbox-comment-{request.Id}").TextContent));
    }

    [Fact]
    public async Task Edge20WithoutARegistryTheTagIsAPlainFieldAndNoEmptyListCoversTheWarning()
    {
        await SignInAsAsync("alice");
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, "payments-api").Add(x => x.EnvironmentName, "staging"));

        cut.WaitForElement("#tag-registry-warning");
        cut.Input("#image-tag", "zzz");

        Assert.DoesNotContain("No matching tag in the registry.", cut.Markup);
        Assert.Empty(cut.FindAll(".mud-autocomplete"));
    }

    [Fact]
    public async Task Edge21AWaitingRequestLinksToItsRolloutPage()
    {
        await App.RegisterServiceAsync("edge-waiting");
        var request = await App.SubmitRequestAsync("alice", "edge-waiting", "production", form => form.ImageTag = "v1");
        await SignInAsAsync("alice");

        var cut = Render<RequestPage>(p => p.Add(x => x.Id, request.Id));

        cut.WaitForAssertion(() => Assert.Contains("Awaiting approval", cut.Find("#state-chip").TextContent));
        Assert.EndsWith($"/rollouts/{request.Id}", cut.Find("#rollout-link").GetAttribute("href"));
    }

    [Fact]
    public async Task Edge23TheLiveCrashExplanationIsAnAlertForScreenReaders()
    {
        var request = await App.SubmitRequestAsync("alice", "payments-api", "production", form => form.ImageTag = "edge-alert");
        await SignInAsAsync("alice");
        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, request.Id));
        cut.WaitForElement("#rollout-message");

        await App.Get<RolloutNotifier>().PublishAsync(new RolloutSnapshot(request.Id, RolloutPhase.Progressing, "Waiting...", "new pods crash: CrashLoopBackOff (3 restarts)", 1, 0, 0, 0, [], [], [], TimeSpan.Zero, TimeSpan.FromSeconds(600), DateTimeOffset.UtcNow));

        cut.WaitForAssertion(() => Assert.Equal("alert", cut.Find("#blocking").GetAttribute("role")));
        Assert.Equal("status", cut.Find("#rollout-message").GetAttribute("role"));
    }

    [Fact]
    public async Task Edge24AMessageLivesThroughOneNavigationNotTwo()
    {
        await SignInAsAsync("alice");
        var layout = RenderLayout();
        var snackbar = Services.GetRequiredService<ISnackbar>();
        var navigation = Services.GetRequiredService<NavigationManager>();

        snackbar.Add("Registered edge-svc.", Severity.Success);
        navigation.NavigateTo("/services/payments/edge-svc");
        Assert.Single(snackbar.ShownSnackbars);

        navigation.NavigateTo("/services");
        layout.WaitForAssertion(() => Assert.Empty(snackbar.ShownSnackbars));
    }

    private IRenderedComponent<MainLayout> RenderLayout() =>
        Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "body"))));
}
