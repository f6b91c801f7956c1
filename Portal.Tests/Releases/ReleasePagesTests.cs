using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog.Pages;
using Portal.Releases.Pages;
using Portal.Requests;
using Portal.Requests.Pages;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Releases;

/// <summary>The promote button and pre-filled form, the Admin's freeze windows page and the audit page, on a real portal.</summary>
public sealed class ReleasePagesTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task PromoteOpensTheNextEnvironmentsFormPrefilledFromStagingAndFlagsATagThatNeverSucceededThere()
    {
        await App.RegisterServiceAsync("promo-svc");
        var staged = await App.SubmitRequestAsync("alice", "promo-svc", "staging", form => { form.ImageTag = "v7"; form.Replicas = 1; form.EnvVars.Add(new EnvVarRow { Name = "MODE", Value = "fast" }); });
        await App.MarkDeployedAsync(staged.Id);
        await SignInAsAsync("alice");

        var page = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "promo-svc"));
        page.WaitForAssertion(() => Assert.Equal("/services/payments/promo-svc/environments/production/deploy?promote=true", page.Find("#promote-production").GetAttribute("href")));
        Assert.Contains("Promote to production", page.Find("#promote-production").TextContent);
        Assert.Empty(page.FindAll("#promote-staging"));

        Services.GetRequiredService<NavigationManager>().NavigateTo(page.Find("#promote-production").GetAttribute("href")!);
        var cut = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, "promo-svc").Add(x => x.EnvironmentName, "production"));
        cut.WaitForElement("#image-tag");
        cut.WaitForElement(".image-tag-state[data-tags=loaded]");
        Assert.Equal("v7", cut.Find("#image-tag").GetAttribute("value"));
        Assert.Contains($"Promotion of revision 1 in staging (request #{staged.Id})", cut.Find(".resubmit-note").TextContent);

        RequestFormTests.TypeTag(cut, "v8");
        cut.Submit("form");

        cut.WaitForAssertion(() => Assert.Equal("tag v8 never succeeded in staging.", cut.Find("#promotion-warning").TextContent.Trim()));
    }

    [Fact]
    public async Task AnAdminAddsARecurringFreezeWindowInANamedZoneAndRemovesItBothAudited()
    {
        await SignInAsAsync("carol");
        var cut = Render<FreezeWindows>();
        cut.WaitForElement("#freeze-reason");

        cut.Change("#freeze-time-zone", "Mars/Olympus");
        cut.Change("#freeze-reason", "Weekend calm");
        cut.Click("#add-freeze");
        cut.WaitForAssertion(() => Assert.Contains("'Mars/Olympus' is not a known time zone", cut.Find(".mud-input-control:has(#freeze-time-zone)").TextContent));
        Assert.Equal(0, await App.WithDbAsync(db => db.FreezeWindows.CountAsync()));

        cut.Change("#freeze-time-zone", "Europe/Berlin");
        cut.Click("#add-freeze");

        cut.WaitForAssertion(() => Assert.Contains("every Fri 16:00 – Mon 08:00 Europe/Berlin", cut.Find("#freeze-windows").TextContent));
        var stored = await App.WithDbAsync(db => db.FreezeWindows.SingleAsync());
        Assert.Equal(("production", "Weekend calm", "carol"), (stored.Environment, stored.Reason, stored.CreatedBy));
        cut.Find($"#remove-freeze-{stored.Id}").Click();
        cut.WaitForAssertion(() => Assert.DoesNotContain("Weekend calm", cut.Find("#freeze-windows").TextContent));
        Assert.Equal(0, await App.WithDbAsync(db => db.FreezeWindows.CountAsync()));
        var audit = await App.WithDbAsync(db => db.AuditEvents.Where(e => e.Kind == AuditSubject.FreezeWindow && e.Subject == $"production #{stored.Id}").OrderBy(e => e.Id).Select(e => e.Action + " by " + e.Actor).ToListAsync());
        Assert.Equal(["Added by carol", "Removed by carol"], audit);
    }

    [Fact]
    public async Task DuringAFreezeTheFormShowsTheReasonAndEndAndOnlyAnAdminGetsTheBreakGlassField()
    {
        var now = App.Get<TimeProvider>().GetUtcNow();
        var added = await App.Get<Portal.Releases.FreezeSchedule>().AddAsync(await App.PrincipalAsync("carol"),
            new Portal.Releases.FreezeWindow { Environment = "production", From = now.AddHours(-1), To = now.AddHours(1), Reason = "Audit week" });
        try
        {
            await SignInAsAsync("alice");
            var asMember = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, "payments-api").Add(x => x.EnvironmentName, "production"));
            asMember.WaitForAssertion(() => Assert.Contains("Audit week", asMember.Find("#freeze-notice").TextContent));
            Assert.Contains($"production is frozen until {now.AddHours(1):yyyy-MM-dd HH:mm zzz}", asMember.Find("#freeze-notice").TextContent);
            Assert.Empty(asMember.FindAll("#break-glass-reason"));

            await SignInAsAsync("carol");
            var asAdmin = Render<RequestEditor>(p => p.Add(x => x.Team, "payments").Add(x => x.ServiceName, "payments-api").Add(x => x.EnvironmentName, "production"));
            asAdmin.WaitForElement("#break-glass-reason");
        }
        finally
        {
            await App.Get<Portal.Releases.FreezeSchedule>().RemoveAsync(await App.PrincipalAsync("carol"), added.Value!.Id);
        }
    }

    [Fact]
    public async Task DuringAFreezeOnlyAnAdminGetsTheBreakGlassFieldOnTheDecisionAndApprovesWithAReason()
    {
        var service = await App.RegisterServiceAsync("break-glass-approve");
        var request = await App.SubmitRequestAsync("alice", service.Name, "production", form => form.ImageTag = "v1");
        var now = App.Get<TimeProvider>().GetUtcNow();
        var added = await App.Get<Portal.Releases.FreezeSchedule>().AddAsync(await App.PrincipalAsync("carol"),
            new Portal.Releases.FreezeWindow { Environment = "production", From = now.AddHours(-1), To = now.AddHours(1), Reason = "Board meeting" });
        try
        {
            await SignInAsAsync("bob");
            var asApprover = Render<Portal.Requests.Components.DecisionPanel>(p => p.Add(x => x.RequestId, request.Id));
            asApprover.WaitForElement($"#approve-{request.Id}");
            Assert.Empty(asApprover.FindAll($"#break-glass-{request.Id}"));

            await SignInAsAsync("carol");
            var dialogs = RenderDialogProvider();
            var asAdmin = Render<Portal.Requests.Components.DecisionPanel>(p => p.Add(x => x.RequestId, request.Id));
            asAdmin.WaitForElement($"#break-glass-{request.Id}");
            Assert.Contains("Board meeting", asAdmin.Find($".mud-input-control:has(#break-glass-{request.Id})").TextContent);

            // Without a reason the freeze refuses; with one the request is approved and carries it.
            asAdmin.Find($"#approve-{request.Id}").Click();
            Confirm(dialogs);
            await Poll.UntilAsync(() => App.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.RequestId == request.Id && e.Action == "BreakGlass")), TimeSpan.FromSeconds(1), failOnTimeout: false);
            Assert.Equal(RequestState.AwaitingApproval, await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == request.Id).Select(r => r.State).SingleAsync()));

            asAdmin.Find($"#break-glass-{request.Id}").Change("Board asked for the fix");
            asAdmin.Find($"#approve-{request.Id}").Click();
            Confirm(dialogs);

            await Poll.UntilAsync(() => App.WithDbAsync(db => db.DeploymentRequests.AnyAsync(r => r.Id == request.Id && r.BreakGlassReason == "Board asked for the fix")), TimeSpan.FromSeconds(30), "The break-glass approval was not stored.");
            var decision = await App.WithDbAsync(db => db.RequestDecisions.SingleAsync(d => d.RequestId == request.Id));
            Assert.Equal((DecisionKind.Approved, "carol"), (decision.Kind, decision.DecidedBy));
            Assert.Equal("carol", await App.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == request.Id && e.Action == "BreakGlass").Select(e => e.Actor).SingleAsync()));
        }
        finally
        {
            await App.Get<Portal.Releases.FreezeSchedule>().RemoveAsync(await App.PrincipalAsync("carol"), added.Value!.Id);
        }
    }

    [Theory]
    [InlineData("alice", false)]
    [InlineData("carol", true)]
    public async Task TheAuditPageShowsAMemberOnlyTheirTeamsAndAnAdminEveryTeam(string user, bool seesSearch)
    {
        // Services of this case alone: the other case's request to a shared service may be applying meanwhile.
        var search = await App.RegisterServiceAsync($"audit-search-{user}", team: "search", user: "dave");
        var payments = await App.RegisterServiceAsync($"audit-payments-{user}");
        await App.SubmitRequestAsync("dave", search.Name, "staging", form => form.ImageTag = "v1", team: "search");
        await App.SubmitRequestAsync("alice", payments.Name, "staging", form => form.ImageTag = "v1");
        await SignInAsAsync(user);

        var cut = Render<AuditTrail>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".audit-team")));
        var teams = cut.FindAll(".audit-team").Select(c => c.TextContent.Trim()).ToHashSet();
        Assert.Contains("payments", teams);
        Assert.Equal(seesSearch, teams.Contains("search"));
        Assert.StartsWith("/api/audit/export", cut.Find("#audit-export").GetAttribute("href"));

        cut.Change("#audit-team", "search");
        cut.Click("#audit-apply");
        cut.WaitForAssertion(() => Assert.Equal(seesSearch, cut.FindAll(".audit-team").Count > 0));
        Assert.All(cut.FindAll(".audit-team"), c => Assert.Equal("search", c.TextContent.Trim()));
        Assert.Contains("team=search", cut.Find("#audit-export").GetAttribute("href"));
    }
}
