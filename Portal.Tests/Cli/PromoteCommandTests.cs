using System.Text.Json;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using SelfService.Cli;

namespace Portal.Tests.Cli;

/// <summary><c>selfservice promote</c> against the promotion endpoint (<c>POST .../environments/{environment}/promotions</c>).</summary>
public sealed class PromoteCommandTests(CliPortal portal) : IClassFixture<CliPortal>
{
    private PortalApp App => portal.App;

    [Fact]
    public async Task PromoteSubmitsWhatSucceededInThePreviousEnvironment()
    {
        await App.RegisterServiceAsync("cli-promote");
        var token = await App.TokenAsync("alice");
        var staged = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/cli-promote", "--env", "staging", "--tag", "v4", "--wait", "--timeout", "2m");
        Assert.True(staged.ExitCode == ExitCodes.Ok, staged.ToString());

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "promote", "payments/cli-promote", "--env", "production", "--comment", "release 4", "-o", "json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var request = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal("production", request.GetProperty("environment").GetString());
        Assert.Equal("v4", request.GetProperty("imageTag").GetString());
        Assert.Equal("AwaitingApproval", request.GetProperty("state").GetString());
        Assert.Contains("waits for an Approver of payments.", run.Error);
    }

    [Fact]
    public async Task PromotingWhatNeverSucceededBeforeIsAConflict()
    {
        await App.RegisterServiceAsync("cli-promote-none");
        var token = await App.TokenAsync("alice");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "promote", "payments/cli-promote-none", "--env", "production");

        Assert.True(run.ExitCode == ExitCodes.Conflict, run.ToString());
        Assert.StartsWith("Conflict (409): ", run.Error);
    }
}
