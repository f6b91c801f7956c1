using Portal.Identity;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

public sealed class TeamDirectoryTests(PortalApp app) : IClassFixture<PortalApp>
{
    private TeamDirectory Directory => app.Get<TeamDirectory>();

    [Fact]
    public async Task AdminCreatesATeamAddsAMemberPromotesAndRemovesThem()
    {
        var carol = await app.PrincipalAsync("carol");

        var created = await Directory.CreateTeamAsync(carol, "checkout", "Checkout");
        var added = await Directory.AddMemberAsync(carol, "checkout", "dave", TeamRole.Member);
        var promoted = await Directory.SetRoleAsync(carol, "checkout", added.Value!.UserId, TeamRole.Approver);
        var afterPromotion = await Directory.MembersAsync("checkout");
        var removed = await Directory.RemoveMemberAsync(carol, "checkout", added.Value.UserId);

        Assert.True(created.Succeeded && added.Succeeded && promoted.Succeeded && removed.Succeeded);
        Assert.Equal(("dave", TeamRole.Approver), (Assert.Single(afterPromotion).UserName, afterPromotion[0].Role));
        Assert.Empty(await Directory.MembersAsync("checkout"));
    }

    [Fact]
    public async Task MembershipChangesTakeEffectWithoutSigningInAgain()
    {
        var carol = await app.PrincipalAsync("carol");
        var dave = await app.PrincipalAsync("dave");
        await Directory.CreateTeamAsync(carol, "ledger", "");
        var teamId = (await Directory.TeamsAsync()).Single(t => t.Name == "ledger").Id;
        var access = app.Get<TeamAccess>();
        var before = await access.CanChangeAsync(dave, teamId);

        await Directory.AddMemberAsync(carol, "ledger", "dave", TeamRole.Member);

        Assert.False(before);
        Assert.True(await access.CanChangeAsync(dave, teamId));
        Assert.False(await access.CanApproveAsync(dave, teamId));
    }

    [Fact]
    public async Task NonAdminCannotManageTeams()
    {
        var bob = await app.PrincipalAsync("bob");

        var created = await Directory.CreateTeamAsync(bob, "rogue", "");
        var added = await Directory.AddMemberAsync(bob, "payments", "dave", TeamRole.Approver);

        Assert.Equal(OutcomeKind.Forbidden, created.Kind);
        Assert.Equal(OutcomeKind.Forbidden, added.Kind);
        Assert.DoesNotContain(await Directory.TeamsAsync(), t => t.Name == "rogue");
    }

    [Theory]
    [InlineData("Payments Team", "Team name must be lowercase letters")]
    [InlineData("payments", "A team named 'payments' already exists.")]
    public async Task BadTeamNamesAreRefusedWithAMessage(string name, string message)
    {
        var outcome = await Directory.CreateTeamAsync(await app.PrincipalAsync("carol"), name, "");

        Assert.Equal(OutcomeKind.Invalid, outcome.Kind);
        Assert.Contains(message, outcome.FieldErrors["Name"][0]);
    }

    [Fact]
    public async Task AddingAnUnknownUserSaysSo()
    {
        var outcome = await Directory.AddMemberAsync(await app.PrincipalAsync("carol"), "search", "mallory", TeamRole.Member);

        Assert.Equal("There is no user 'mallory'.", outcome.FieldErrors["UserName"][0]);
    }
}
