using Bunit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Cluster;
using Portal.Cluster.Pages;
using Portal.Identity;
using Portal.Identity.Pages.Admin;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>The Admin's views of clusters and environments (policies, connection health) and of users.</summary>
public sealed class AdminPagesTests(PortalApp app) : PortalComponentTest(app)
{
    [Fact]
    public async Task AnAdminSeesEachEnvironmentsPoliciesAndEachClustersVersionAndLatency()
    {
        await SignInAsAsync("carol");

        var cut = Render<ClusterAdmin>();

        cut.WaitForAssertion(() => Assert.StartsWith("v1.", cut.Find("#cluster-default .cluster-version").TextContent.Trim()), TimeSpan.FromSeconds(20));
        Assert.Contains("reachable", cut.Find("#cluster-default .cluster-state").TextContent);
        Assert.EndsWith(" ms", cut.Find("#cluster-default .cluster-latency").TextContent.Trim());
        Assert.Equal("an Approver decides", cut.Find("#policy-production .policy-approval").TextContent.Trim());
        Assert.Equal("none", cut.Find("#policy-staging .policy-approval").TextContent.Trim());
        Assert.Equal("20", cut.Find("#policy-production .policy-max-replicas").TextContent.Trim());
        Assert.Contains("needs approval like a deploy", cut.Find("#policy-production .policy-rollback").TextContent);
    }

    [Fact]
    public async Task AClusterThatCannotBeReachedShowsWhyAndHowLongItTook()
    {
        var check = await App.Get<ClusterHealth>().CheckAsync("nowhere");

        Assert.False(check.Reachable);
        Assert.Contains("No cluster named 'nowhere'", check.Error);
        Assert.Null(check.Version);
    }

    [Fact]
    public async Task AnAdminSeesUsersTheirTeamsRolesAndLockoutAndNoPasswordHash()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var dave = (await users.FindByNameAsync("dave"))!;
        await users.SetLockoutEndDateAsync(dave, DateTimeOffset.UtcNow.AddMinutes(10));
        try
        {
            await SignInAsAsync("carol");

            var cut = Render<Users>();

            cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#user-bob")));
            string Row(string user) => cut.Find($"#user-{user}").ParentElement!.TextContent;
            Assert.Contains("payments: Approver", Row("bob"));
            Assert.Contains("payments: Member", Row("alice"));
            Assert.Contains("Admin", Row("carol"));
            Assert.Contains("locked until", Row("dave"));
            Assert.Contains("not locked", Row("alice"));
            var hash = await App.WithDbAsync(db => db.Users.Where(u => u.UserName == "alice").Select(u => u.PasswordHash).SingleAsync());
            Assert.DoesNotContain(hash!, cut.Markup);
        }
        finally
        {
            await users.SetLockoutEndDateAsync(dave, null);
        }
    }

    [Fact]
    public async Task RemovingAMemberAsksFirstCancelKeepsTheMemberAndConfirmRemovesThem()
    {
        var carol = await App.PrincipalAsync("carol");
        var directory = App.Get<TeamDirectory>();
        Assert.True((await directory.CreateTeamAsync(carol, "members-ui", "Members UI")).Succeeded);
        Assert.True((await directory.AddMemberAsync(carol, "members-ui", "dave", TeamRole.Member)).Succeeded);
        Assert.True((await directory.AddMemberAsync(carol, "members-ui", "alice", TeamRole.Approver)).Succeeded);
        await SignInAsAsync("carol");
        var dialogs = RenderDialogProvider();
        var cut = Render<TeamMembers>(p => p.Add(x => x.Name, "members-ui"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#remove-member-dave")));

        cut.Click("#remove-member-dave");
        Assert.Contains("Remove dave from members-ui?", dialogs.WaitForElement("#remove-confirm").TextContent);
        dialogs.Click("#confirm-cancel");

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#remove-confirm")));
        Assert.Contains("dave", (await directory.MembersAsync("members-ui")).Select(m => m.UserName));
        Assert.NotEmpty(cut.FindAll("#remove-member-dave"));

        cut.Click("#remove-member-dave");
        Confirm(dialogs);

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("#remove-member-dave")));
        Assert.Equal(["alice"], (await directory.MembersAsync("members-ui")).Select(m => m.UserName));
        Assert.NotEmpty(cut.FindAll("#remove-member-alice"));
    }
}
