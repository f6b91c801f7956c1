using Portal.Cluster;
using Portal.Releases;
using Portal.Requests;

namespace Portal.Tests.Releases;

public sealed class FreezeWindowTests
{
    private static readonly FreezeWindow Weekend = new()
    {
        StartDay = DayOfWeek.Friday, StartTime = new TimeOnly(16, 0), EndDay = DayOfWeek.Monday, EndTime = new TimeOnly(8, 0), TimeZone = "Europe/Berlin", Reason = "Weekend",
    };

    [Theory]
    // Berlin moves from +01:00 to +02:00 on Sunday 2026-03-29: the window still ends at 08:00 local on Monday.
    [InlineData("2026-03-27T14:59:00Z", null)]
    [InlineData("2026-03-27T15:00:00Z", "2026-03-30T08:00:00+02:00")]
    [InlineData("2026-03-29T12:00:00Z", "2026-03-30T08:00:00+02:00")]
    [InlineData("2026-03-30T05:59:00Z", "2026-03-30T08:00:00+02:00")]
    [InlineData("2026-03-30T06:00:00Z", null)]
    // And back to +01:00 on Sunday 2026-10-25: starts at 16:00 +02:00 on Friday, ends at 08:00 +01:00 on Monday.
    [InlineData("2026-10-23T13:59:00Z", null)]
    [InlineData("2026-10-23T14:00:00Z", "2026-10-26T08:00:00+01:00")]
    [InlineData("2026-10-26T06:59:00Z", "2026-10-26T08:00:00+01:00")]
    [InlineData("2026-10-26T07:00:00Z", null)]
    [InlineData("2026-10-28T12:00:00Z", null)]
    public void ARecurringWeekendWindowFollowsWallClockTimeInItsZoneAcrossDaylightSavingChanges(string at, string? until)
    {
        var end = Weekend.EndIfActive(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(until is null ? null : DateTimeOffset.Parse(until, System.Globalization.CultureInfo.InvariantCulture), end);
        if (end is { } e)
        {
            Assert.Equal(until, e.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void AOneOffWindowIsInForceFromItsStartUntilJustBeforeItsEnd()
    {
        var from = new DateTimeOffset(2026, 12, 24, 0, 0, 0, TimeSpan.Zero);
        var window = new FreezeWindow { From = from, To = from.AddDays(3), Reason = "Holidays" };

        Assert.Null(window.EndIfActive(from.AddTicks(-1)));
        Assert.Equal(from.AddDays(3), window.EndIfActive(from));
        Assert.Null(window.EndIfActive(from.AddDays(3)));
        Assert.Empty(window.Errors());
    }

    [Fact]
    public void AWindowWithAnUnknownZoneOrNoReasonOrBackwardsRangeNamesTheField()
    {
        Assert.Contains("TimeZone", new FreezeWindow { StartDay = DayOfWeek.Friday, StartTime = new(16, 0), EndDay = DayOfWeek.Monday, EndTime = new(8, 0), TimeZone = "Mars/Olympus", Reason = "x" }.Errors().Keys);
        Assert.Contains("Reason", new FreezeWindow { From = DateTimeOffset.UnixEpoch, To = DateTimeOffset.UnixEpoch.AddHours(1) }.Errors().Keys);
        Assert.Contains("To", new FreezeWindow { From = DateTimeOffset.UnixEpoch, To = DateTimeOffset.UnixEpoch, Reason = "x" }.Errors().Keys);
    }

    [Fact]
    public void ThePolicyRefusesSubmitApproveAndApplyDuringAFreezeWithTheReasonAndTheEnd()
    {
        var environment = new DeploymentEnvironment { Name = "production", RequiresApproval = true };
        var freeze = new ActiveFreeze("production", "Year-end close", new DateTimeOffset(2027, 1, 4, 8, 0, 0, TimeSpan.FromHours(1)), null);
        var request = Request(breakGlass: null);

        foreach (var ask in new[] { ApprovalAsk.Deploy, ApprovalAsk.Rollback, ApprovalAsk.Approve, ApprovalAsk.Apply })
        {
            var answer = ApprovalPolicy.Decide(new ApprovalQuestion(environment, ask, DateTimeOffset.UnixEpoch, Request: request, Freeze: freeze));
            Assert.Equal(ApprovalRoute.Refused, answer.Route);
            Assert.Contains("Year-end close", answer.Reason);
            Assert.Contains("until 2027-01-04 08:00 +01:00", answer.Reason);
        }
    }

    [Fact]
    public void BreakGlassLetsARequestThroughTheFreezeButNotPastItsApprover()
    {
        var environment = new DeploymentEnvironment { Name = "production", RequiresApproval = true };
        var freeze = new ActiveFreeze("production", "Year-end close", DateTimeOffset.UnixEpoch.AddDays(1), null);

        Assert.Equal(ApprovalRoute.ApproverDecides, ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Deploy, DateTimeOffset.UnixEpoch, Freeze: freeze, BreakGlassReason: "outage")).Route);
        Assert.Equal(ApprovalRoute.ApproveNow, ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Approve, DateTimeOffset.UnixEpoch, Request: Request("outage"), Freeze: freeze)).Route);
        Assert.Equal(ApprovalRoute.Refused, ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.Deploy, DateTimeOffset.UnixEpoch, Freeze: freeze, BreakGlassReason: "  ")).Route);
    }

    [Theory]
    [InlineData(true, ApprovalRoute.ApproveNow)]
    [InlineData(false, ApprovalRoute.Refused)]
    public void AutomaticRollbackDuringAFreezeFollowsTheEnvironmentsSetting(bool allowed, ApprovalRoute expected)
    {
        var environment = new DeploymentEnvironment { Name = "production", AllowAutomaticRollbackDuringFreeze = allowed };
        var freeze = new ActiveFreeze("production", "Weekend", DateTimeOffset.UnixEpoch.AddDays(1), null);

        Assert.Equal(expected, ApprovalPolicy.Decide(new ApprovalQuestion(environment, ApprovalAsk.AutomaticRollback, DateTimeOffset.UnixEpoch, Freeze: freeze)).Route);
    }

    [Fact]
    public void CsvFieldsAreQuotedAndFormulasDisarmed()
    {
        var line = AuditQueries.CsvLine(["plain", "a,b", "say \"hi\"", "two\nlines", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", ""]);

        Assert.Equal("plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),\r\n", line);
    }

    private static DeploymentRequest Request(string? breakGlass)
    {
        var spec = new RequestSpec { ImageRepository = "r", ImageTag = "v1", Resources = new ResourceSpec("100m", "200m", "64Mi", "128Mi"), ContainerPort = 8080 };
        var request = new DeploymentRequest
        {
            Id = 7, Environment = "production", Spec = spec, SpecHash = spec.Hash(), ImageTag = "v1", RequestedById = "u", RequestedBy = "alice", BreakGlassReason = breakGlass,
        };
        request.Decisions.Add(new RequestDecision { Kind = DecisionKind.Approved, DecidedBy = "bob", SpecHash = spec.Hash() });
        return request;
    }
}
