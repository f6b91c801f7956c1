using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using SelfService.Cli;

namespace Portal.Tests.Cli;

/// <summary>A portal whose staging gives up on a stuck rollout after 60 simulated seconds (3 s at the Sandbox's speed).</summary>
public sealed class CliPortal : IAsyncLifetime
{
    public PortalApp App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await PortalApp.StartAsync(
        ("Environments:0:Name", "staging"),
        ("Environments:0:ProgressDeadlineSeconds", "60"),
        ("Environments:1:Name", "production"),
        ("Environments:1:RequiresApproval", "true"));

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary><c>selfservice</c> against a real portal (real HTTP, SQLite, the Sandbox, the rollout hub), run in-process.</summary>
public sealed class CliTests(CliPortal portal) : IClassFixture<CliPortal>
{
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(2);

    private PortalApp App => portal.App;

    [Fact]
    public async Task DeployWaitExitsZeroForAGoodTagAndPrintsKubectlProgressLines()
    {
        await App.RegisterServiceAsync("cli-good");
        var token = await App.TokenAsync("alice");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/cli-good", "--env", "staging", "--tag", "v1", "--replicas", "3", "--wait", "--timeout", "2m");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Matches(@"Request #\d+ submitted: payments/cli-good in staging is Approved", run.Output);
        Assert.Contains("Waiting for deployment \"cli-good\" rollout to finish: ", run.Output);
        Assert.Contains("deployment \"cli-good\" successfully rolled out", run.Output);
        Assert.Matches(@"Request #\d+ succeeded: revision 1\.", run.Output);
        Assert.DoesNotContain(token, run.Output + run.Error);
    }

    [Fact]
    public async Task DeployWaitExitsOneForACrashTagOnceItsProgressDeadlinePassesAndSaysWhy()
    {
        await App.RegisterServiceAsync("cli-crash");
        var token = await App.TokenAsync("alice");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/cli-crash", "--env", "staging", "--tag", "v2-crash", "--replicas", "2", "--wait", "--timeout", "2m");

        Assert.True(run.ExitCode == ExitCodes.Unsuccessful, run.ToString());
        Assert.Matches(@"stuck: \d+ new pods? crash-looping", run.Output);
        Assert.Matches(@"Request #\d+ Failed: deployment ""cli-crash"" exceeded its progress deadline", run.Error);
    }

    [Fact]
    public async Task DeployWaitExitsTwoWhenTheTimeoutPassesAndSaysItWaitsForAnApprover()
    {
        await App.RegisterServiceAsync("cli-timeout");
        var token = await App.TokenAsync("alice");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/cli-timeout", "--env", "production", "--tag", "v1", "--wait", "--timeout", "3s");

        Assert.True(run.ExitCode == ExitCodes.Timeout, run.ToString());
        Assert.Contains("is AwaitingApproval", run.Output);
        Assert.Contains("waits for an Approver of payments; waiting up to 3s.", run.Output);
        Assert.Matches(@"Timed out after 3s waiting for request #\d+ \(last: Not applied yet: the request is awaiting approval", run.Error);
    }

    [Fact]
    public async Task AWaitingDeployFollowsTheApprovalThroughToSuccess()
    {
        await App.RegisterServiceAsync("cli-approve");
        var (alice, bob) = (await App.TokenAsync("alice"), await App.TokenAsync("bob"));
        var output = new CapturedWriter();

        var deploy = CliRunner.RunAsync(App.BaseAddress, alice, output, "deploy", "payments/cli-approve", "--env", "production", "--tag", "v1", "--wait", "--timeout", "2m");
        await Poll.UntilAsync(() => output.ToString().Contains("Not applied yet"), Within, "the deploy never showed the waiting request");
        var id = await LatestRequestIdAsync("cli-approve");
        var approve = await CliRunner.RunAsync(App.BaseAddress, bob, "approve", id.ToString(), "--comment", "ship it");
        var run = await deploy.WaitAsync(Within);

        Assert.True(approve.ExitCode == ExitCodes.Ok, approve.ToString());
        Assert.Contains($"Request #{id} approved", approve.Output);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains("deployment \"cli-approve\" successfully rolled out", run.Output);
    }

    [Fact]
    public async Task ARejectionEndsAWaitingDeployWithExitOne()
    {
        await App.RegisterServiceAsync("cli-reject");
        var (alice, bob) = (await App.TokenAsync("alice"), await App.TokenAsync("bob"));
        var output = new CapturedWriter();

        var deploy = CliRunner.RunAsync(App.BaseAddress, alice, output, "deploy", "payments/cli-reject", "--env", "production", "--tag", "v1", "--wait", "--timeout", "2m");
        // The deploy is on the hub, following the request, before the decision.
        await Poll.UntilAsync(() => output.ToString().Contains("Not applied yet"), Within, "the deploy never showed the waiting request");
        var id = await LatestRequestIdAsync("cli-reject");
        var reject = await CliRunner.RunAsync(App.BaseAddress, bob, "reject", $"#{id}", "--comment", "not today");
        var run = await deploy.WaitAsync(Within);

        Assert.True(reject.ExitCode == ExitCodes.Ok, reject.ToString());
        Assert.True(run.ExitCode == ExitCodes.Unsuccessful, run.ToString());
        Assert.Contains($"Request #{id} Rejected", run.Error);
    }

    [Fact]
    public async Task AWaitingDeployThatExpiresExitsWithOne()
    {
        await App.RegisterServiceAsync("cli-expire");
        var alice = await App.TokenAsync("alice");
        var output = new CapturedWriter();

        var deploy = CliRunner.RunAsync(App.BaseAddress, alice, output, "deploy", "payments/cli-expire", "--env", "production", "--tag", "v1", "--wait", "--timeout", "2m");
        await Poll.UntilAsync(() => output.ToString().Contains("Not applied yet"), Within, "the deploy never showed the waiting request");
        var id = await LatestRequestIdAsync("cli-expire");
        // The request was made longer ago than the approval timeout: the portal's sweep expires it.
        await App.WithDbAsync(async db =>
        {
            var request = await db.DeploymentRequests.SingleAsync(r => r.Id == id);
            request.CreatedAt = request.CreatedAt.AddDays(-30);
            return await db.SaveChangesAsync();
        });
        await App.Get<RequestLifecycle>().ExpireOverdueAsync();
        var run = await deploy.WaitAsync(Within);

        Assert.True(run.ExitCode == ExitCodes.Unsuccessful, run.ToString());
        Assert.Contains($"Request #{id} Expired", run.Error);
    }

    [Fact]
    public async Task AWaitingDeploySupersededByAnotherAppliedRequestExitsWithOne()
    {
        await App.RegisterServiceAsync("cli-supersede");
        var (alice, bob) = (await App.TokenAsync("alice"), await App.TokenAsync("bob"));
        var output = new CapturedWriter();

        var deploy = CliRunner.RunAsync(App.BaseAddress, alice, output, "deploy", "payments/cli-supersede", "--env", "production", "--tag", "v1", "--wait", "--timeout", "2m");
        await Poll.UntilAsync(() => output.ToString().Contains("Not applied yet"), Within, "the deploy never showed the waiting request");
        var first = await LatestRequestIdAsync("cli-supersede");
        var second = await CliRunner.RunAsync(App.BaseAddress, alice, "deploy", "payments/cli-supersede", "--env", "production", "--tag", "v2");
        var secondId = await LatestRequestIdAsync("cli-supersede");
        var approve = await CliRunner.RunAsync(App.BaseAddress, bob, "approve", secondId.ToString(), "--comment", "the newer one");
        var run = await deploy.WaitAsync(Within);

        Assert.True(second.ExitCode == ExitCodes.Ok && approve.ExitCode == ExitCodes.Ok, second + approve.ToString());
        Assert.NotEqual(first, secondId);
        Assert.True(run.ExitCode == ExitCodes.Unsuccessful, run.ToString());
        Assert.Contains($"Request #{first} Superseded", run.Error);
    }

    [Fact]
    public async Task StatusShowsTheRequestItsRolloutAndItsDecisions()
    {
        await App.RegisterServiceAsync("cli-status");
        var (alice, bob) = (await App.TokenAsync("alice"), await App.TokenAsync("bob"));
        var submitted = await CliRunner.RunAsync(App.BaseAddress, alice, "deploy", "payments/cli-status", "--env", "production", "--tag", "v7", "-o", "json");
        var id = JsonDocument.Parse(submitted.Output).RootElement.GetProperty("id").GetInt32();
        await CliRunner.RunAsync(App.BaseAddress, bob, "approve", id.ToString(), "-m", "looks fine");
        await App.WaitForStateAsync(id, RequestState.Succeeded);

        var run = await CliRunner.RunAsync(App.BaseAddress, alice, "status", id.ToString());

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains($"Request #{id}: payments/cli-status in production is Succeeded (revision 1)", run.Output);
        Assert.Contains("registry.example.com/payments/cli-status:v7", run.Output);
        Assert.Contains("rollout    Succeeded: deployment \"cli-status\" successfully rolled out", run.Output);
        Assert.Matches(@"approved\s+by bob at .*: looks fine", run.Output);
    }

    [Fact]
    public async Task RollbackWithoutARevisionGoesBackToThePreviousGoodOne()
    {
        await App.RegisterServiceAsync("cli-rollback");
        var token = await App.TokenAsync("alice");
        await DeployAsync(token, "cli-rollback", "v1");
        await DeployAsync(token, "cli-rollback", "v2");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "rollback", "payments/cli-rollback", "--env", "staging", "--wait", "--timeout", "2m");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains("to roll back to revision 1 submitted", run.Output);
        Assert.Contains("registry.example.com/payments/cli-rollback:v1", run.Output);
        Assert.Matches(@"succeeded: revision 3\.", run.Output);
    }

    [Fact]
    public async Task RequestsListsAServicesRequestsNewestFirstAPageAtATime()
    {
        await App.RegisterServiceAsync("cli-list");
        var token = await App.TokenAsync("alice");
        foreach (var tag in new[] { "v1", "v2", "v3" })
        {
            Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/cli-list", "--env", "production", "--tag", tag)).ExitCode);
        }

        var first = await CliRunner.RunAsync(App.BaseAddress, token, "requests", "payments/cli-list", "--env", "production", "--page-size", "2");
        var second = await CliRunner.RunAsync(App.BaseAddress, token, "requests", "payments/cli-list", "--page", "2", "--page-size", "2", "-o", "json");

        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        var lines = first.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+SERVICE\s+ENVIRONMENT\s+STATE\s+TAG\s+REVISION\s+REQUESTED BY\s+CREATED$", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\d+\s+payments/cli-list\s+production\s+AwaitingApproval\s+v3\s+alice\s+", lines[1]);
        Assert.Contains(" v2 ", lines[2]);
        Assert.Contains("page 1 of 2 (3 requests)", first.Error);
        var page = JsonDocument.Parse(second.Output).RootElement;
        Assert.Equal(2, page.GetProperty("page").GetInt32());
        Assert.Equal(3, page.GetProperty("total").GetInt32());
        Assert.Equal("v1", Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("imageTag").GetString());
    }

    [Fact]
    public async Task ABadTokenExitsWithTheUnauthorizedCodeAndNeverEchoesTheToken()
    {
        const string wrong = "ssp_this-token-was-never-issued-0123456789";

        var run = await CliRunner.RunAsync(App.BaseAddress, wrong, "requests", "payments/payments-api");
        var none = await CliRunner.RunAsync(App.BaseAddress, "", "requests", "payments/payments-api");

        Assert.True(run.ExitCode == ExitCodes.Unauthorized, run.ToString());
        Assert.Contains("refused the token (401)", run.Error);
        Assert.DoesNotContain(wrong, run.Output + run.Error);
        Assert.Equal(ExitCodes.Unauthorized, none.ExitCode);
        Assert.Contains("No token: set SELFSERVICE_TOKEN", none.Error);
    }

    [Fact]
    public async Task AnUnknownServiceExitsWithTheNotFoundCode()
    {
        var token = await App.TokenAsync("alice");

        var deploy = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/no-such-service", "--env", "staging", "--tag", "v1");
        var tags = await CliRunner.RunAsync(App.BaseAddress, token, "tags", "payments/no-such-service");

        Assert.True(deploy.ExitCode == ExitCodes.NotFound, deploy.ToString());
        Assert.Contains("There is no service payments/no-such-service.", deploy.Error);
        Assert.Equal(ExitCodes.NotFound, tags.ExitCode);
    }

    [Fact]
    public async Task AnotherTeamsServiceAndRequestAreForbidden()
    {
        await App.RegisterServiceAsync("cli-private");
        var (alice, dave) = (await App.TokenAsync("alice"), await App.TokenAsync("dave"));
        var submitted = await CliRunner.RunAsync(App.BaseAddress, alice, "deploy", "payments/cli-private", "--env", "production", "--tag", "v1", "-o", "json");
        var id = JsonDocument.Parse(submitted.Output).RootElement.GetProperty("id").GetInt32();

        var list = await CliRunner.RunAsync(App.BaseAddress, dave, "requests", "payments/cli-private");
        var approve = await CliRunner.RunAsync(App.BaseAddress, dave, "approve", id.ToString());
        var own = await CliRunner.RunAsync(App.BaseAddress, alice, "approve", id.ToString());

        Assert.True(list.ExitCode == ExitCodes.Forbidden, list.ToString());
        Assert.Contains("Only members of payments", list.Error);
        Assert.Equal(ExitCodes.Forbidden, approve.ExitCode);
        Assert.Contains("Not allowed (403)", own.Error);
        Assert.Equal(ExitCodes.Forbidden, own.ExitCode);
    }

    [Fact]
    public async Task InvalidInputExitsWithTheValidationCodeAndTheFieldMessages()
    {
        await App.RegisterServiceAsync("cli-invalid");
        var token = await App.TokenAsync("alice");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", "payments/cli-invalid", "--env", "staging", "--tag", "v1", "--replicas", "500");
        var paging = await CliRunner.RunAsync(App.BaseAddress, token, "requests", "payments/cli-invalid", "--page-size", "1000");

        Assert.True(run.ExitCode == ExitCodes.Invalid, run.ToString());
        Assert.Contains("Replicas: Replicas must be between 0 and 10 in staging.", run.Error);
        Assert.Equal(ExitCodes.Invalid, paging.ExitCode);
        Assert.Contains("pageSize: '1000' is not a page size", paging.Error);
        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "cli-invalid")));
    }

    [Fact]
    public async Task APortalThatCannotBeReachedExitsWithTheNetworkCodeAndNamesTheUrl()
    {
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}/");

        var refused = await CliRunner.RunAsync(closed, "ssp_whatever", "status", "1");
        var dns = await CliRunner.RunAsync(new Uri("http://portal.does-not-exist.invalid/"), "ssp_whatever", "status", "1");

        Assert.True(refused.ExitCode == ExitCodes.Network, refused.ToString());
        Assert.Contains($"Cannot reach the portal at {closed}: connection refused", refused.Error);
        Assert.Equal(ExitCodes.Network, dns.ExitCode);
        Assert.Contains("'portal.does-not-exist.invalid' does not resolve (DNS)", dns.Error);
    }

    [Fact]
    public async Task WithoutARegistryTheTagsCommandSaysSoAndExitsWithTheServerCode()
    {
        var token = await App.TokenAsync("alice");

        var run = await CliRunner.RunAsync(App.BaseAddress, token, "tags", "payments/payments-api");

        Assert.True(run.ExitCode == ExitCodes.ServerError, run.ToString());
        Assert.Contains("The portal answered 503: No registry configured. No registry is configured for registry.example.com", run.Error);
    }

    [Fact]
    public async Task TheBuiltToolRunsAsAProcessWithItsSettingsFromTheEnvironment()
    {
        await App.RegisterServiceAsync("cli-process");
        var token = await App.TokenAsync("alice");

        var deploy = await CliRunner.RunProcessAsync(App.BaseAddress, token, "deploy", "payments/cli-process", "--env", "staging", "--tag", "v1", "--wait", "--timeout", "2m");
        var list = await CliRunner.RunProcessAsync(App.BaseAddress, token, "requests", "payments/cli-process", "-o", "json");
        var refused = await CliRunner.RunProcessAsync(App.BaseAddress, "ssp_not-a-real-token", "requests", "payments/cli-process");

        Assert.True(deploy.ExitCode == ExitCodes.Ok, deploy.ToString());
        Assert.Contains("successfully rolled out", deploy.Output);
        Assert.Equal("Succeeded", JsonDocument.Parse(list.Output).RootElement.GetProperty("items")[0].GetProperty("state").GetString());
        Assert.Equal(ExitCodes.Unauthorized, refused.ExitCode);
    }

    private async Task DeployAsync(string token, string service, string tag)
    {
        var run = await CliRunner.RunAsync(App.BaseAddress, token, "deploy", $"payments/{service}", "--env", "staging", "--tag", tag, "--wait", "--timeout", "2m");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
    }

    private async Task<int> LatestRequestIdAsync(string service) =>
        await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Service.Name == service).MaxAsync(r => r.Id));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
