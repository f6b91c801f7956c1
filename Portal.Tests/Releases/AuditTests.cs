using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Releases;

/// <summary>The audit trail: every kind of change is recorded through the real services, and read back through the API.</summary>
public sealed class AuditTests : IAsyncLifetime
{
    private PortalApp app = null!;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(("Sandbox:Speed", "20"), ("Rollouts:PollInterval", "00:00:00.200"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task EveryKindOfChangeIsAuditedWithActorTeamAndDetails()
    {
        var carol = await app.PrincipalAsync("carol");
        var alice = await app.PrincipalAsync("alice");
        var directory = app.Get<TeamDirectory>();
        var catalog = app.Get<ServiceCatalog>();
        var tokens = app.Get<PersonalAccessTokens>();

        Assert.True((await directory.CreateTeamAsync(carol, "billing", "Billing")).Succeeded);
        Assert.True((await directory.AddMemberAsync(carol, "billing", "dave", TeamRole.Member)).Succeeded);
        var daveId = await app.WithDbAsync(db => db.Users.Where(u => u.UserName == "dave").Select(u => u.Id).SingleAsync());
        Assert.True((await directory.SetRoleAsync(carol, "billing", daveId, TeamRole.Approver)).Succeeded);
        Assert.True((await directory.RemoveMemberAsync(carol, "billing", daveId)).Succeeded);
        var registered = await catalog.RegisterAsync(alice, new ServiceForm { Name = "ledger", Team = "payments", ImageRepository = "registry.example.com/payments/ledger" });
        Assert.True(registered.Succeeded, registered.Message);
        var form = ServiceForm.From(registered.Value!);
        form.Description = "The ledger";
        Assert.True((await catalog.UpdateAsync(alice, registered.Value!.Id, form)).Succeeded);
        Assert.True((await catalog.ArchiveAsync(alice, registered.Value.Id)).Succeeded);
        var token = await tokens.CreateAsync(alice, "ci", 30);
        Assert.True((await tokens.RevokeAsync(alice, token.Value!.Token.Id)).Succeeded);
        var admin = await app.ClientAsync("carol");
        var window = await admin.PostAsJsonAsync("/api/freeze-windows", new { environment = "production", from = "2030-01-01T00:00:00Z", to = "2030-01-02T00:00:00Z", reason = "New year" });
        var windowId = (await window.JsonAsync()).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/freeze-windows/{windowId}")).StatusCode);
        var request = await (await (await app.ClientAsync("alice")).SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", setSecrets = new Dictionary<string, string> { ["API_KEY"] = "hunter2-secret" } })).SubmittedIdAsync();
        await app.WaitForStateAsync(request, RequestState.Succeeded);

        var trail = await app.WithDbAsync(db => db.AuditEvents.OrderBy(e => e.Id).Select(e => new { e.Kind, e.Subject, e.Action, e.Actor, e.Comment }).ToListAsync());

        Assert.Contains(trail, e => e is { Kind: AuditSubject.Team, Subject: "billing", Action: "Created", Actor: "carol" });
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Member, Subject: "billing/dave", Action: "Added", Comment: "Role Member." });
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Member, Subject: "billing/dave", Action: "RoleChanged", Comment: "Role Member -> Approver." });
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Member, Subject: "billing/dave", Action: "Removed" });
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Service, Subject: "payments/ledger", Action: "Registered", Actor: "alice" });
        Assert.Contains(trail, e => e.Kind == AuditSubject.Service && e.Action == "Changed" && e.Comment.Contains("Description"));
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Service, Subject: "payments/ledger", Action: "Archived" });
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Token, Subject: "alice/ci", Action: "Created" });
        Assert.Contains(trail, e => e is { Kind: AuditSubject.Token, Subject: "alice/ci", Action: "Revoked" });
        Assert.Contains(trail, e => e.Kind == AuditSubject.FreezeWindow && e.Action == "Added" && e.Comment.Contains("New year"));
        Assert.Contains(trail, e => e.Kind == AuditSubject.FreezeWindow && e.Action == "Removed");
        Assert.Equal(["Submitted", "Approved", "Applying", "RollingOut", "Succeeded"], trail.Where(e => e.Subject == $"#{request}").Select(e => e.Action));
        Assert.DoesNotContain(trail, e => e.Comment.Contains("hunter2") || e.Subject.Contains("hunter2"));
    }

    [Fact]
    public async Task AMemberSeesOnlyTheirTeamsEntriesAndAnAdminSeesAll()
    {
        var carol = await app.PrincipalAsync("carol");
        Assert.True((await app.Get<TeamDirectory>().AddMemberAsync(carol, "search", "bob", TeamRole.Member)).Succeeded);
        Assert.True((await app.Get<TeamDirectory>().AddMemberAsync(carol, "payments", "carol", TeamRole.Member)).Succeeded);
        await (await app.ClientAsync("alice")).SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" });
        await (await app.ClientAsync("dave")).SubmitAsync("search", "search-indexer", "staging", new { imageTag = "v1" });

        var asAlice = await (await (await app.ClientAsync("alice")).GetAsync("/api/audit?pageSize=200")).JsonAsync();
        var asCarol = await (await (await app.ClientAsync("carol")).GetAsync("/api/audit?pageSize=200")).JsonAsync();
        var searchOnly = await (await (await app.ClientAsync("carol")).GetAsync("/api/audit?team=search&kind=Request")).JsonAsync();

        var aliceTeams = asAlice.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("team").GetString()).Distinct().ToList();
        Assert.Equal(["payments"], aliceTeams);
        Assert.True(asAlice.GetProperty("total").GetInt32() >= 3);
        var carolTeams = asCarol.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("team").GetString()).Distinct().ToList();
        Assert.Contains("search", carolTeams);
        Assert.Contains("payments", carolTeams);
        Assert.Contains("", carolTeams); // tokens and freeze windows belong to no team: only Admins see them
        Assert.All(searchOnly.GetProperty("items").EnumerateArray(), i => Assert.Equal(("search", "Request"), (i.GetProperty("team").GetString(), i.GetProperty("kind").GetString())));
        Assert.True(searchOnly.GetProperty("total").GetInt32() >= 2);
    }

    [Fact]
    public async Task TheCsvExportIsFilteredEscapedAndDisarmsFormulas()
    {
        var alice = await app.ClientAsync("alice");
        await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", comment = "=HYPERLINK(\"http://evil\"), see \"notes\"" });
        await (await app.ClientAsync("dave")).SubmitAsync("search", "search-indexer", "staging", new { imageTag = "v1", comment = "search secret plans" });

        var response = await alice.GetAsync("/api/audit/export?kind=Request");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync();
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("at,kind,subject,action,team,actor,from,to,details", lines[0]);
        Assert.Contains(lines, l => l.EndsWith(",Request,#1,Submitted,payments,alice,,Submitted,\"'=HYPERLINK(\"\"http://evil\"\"), see \"\"notes\"\"\"", StringComparison.Ordinal));
        Assert.DoesNotContain("search secret plans", csv);
        Assert.All(lines.Skip(1), l => Assert.Contains(",Request,", l));
    }

    [Fact]
    public async Task TheAuditApiPagesAndRefusesBadPagingNamingTheParameterAsTheRequestListsDo()
    {
        var carol = await app.ClientAsync("carol");
        await (await app.ClientAsync("alice")).SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" });

        var second = await (await carol.GetAsync("/api/audit?page=2&pageSize=1")).JsonAsync();
        var badPage = await carol.GetAsync("/api/audit?page=0");
        var badSize = await carol.GetAsync("/api/audit?pageSize=201&kind=Nope");
        var requestsBadSize = await carol.GetAsync("/api/requests?pageSize=201");

        Assert.Equal((2, 1, 1), (second.GetProperty("page").GetInt32(), second.GetProperty("pageSize").GetInt32(), second.GetProperty("items").GetArrayLength()));
        Assert.True(second.GetProperty("total").GetInt32() >= 2);
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Contains("not a page number", (await badPage.JsonAsync()).GetProperty("errors").GetProperty("page")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badSize.StatusCode);
        var errors = (await badSize.JsonAsync()).GetProperty("errors");
        Assert.Contains("from 1 to 200", errors.GetProperty("pageSize")[0].GetString());
        Assert.True(errors.TryGetProperty("kind", out _));
        Assert.Contains("from 1 to 100", (await requestsBadSize.JsonAsync()).GetProperty("errors").GetProperty("pageSize")[0].GetString());
    }
}
