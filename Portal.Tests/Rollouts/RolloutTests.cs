using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Rollouts;

/// <summary>Requests applied to the embedded Sandbox (over HTTPS, through KubernetesClient) and followed to their end.</summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private PortalApp app = null!;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(
        ("Sandbox:Speed", "20"),
        ("Rollouts:PollInterval", "00:00:00.200"),
        ("Environments:0:Name", "staging"),
        ("Environments:0:ProgressDeadlineSeconds", "60"),
        ("Environments:1:Name", "production"),
        ("Environments:1:RequiresApproval", "true"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ApprovedRequestRollsOutAndBecomesRevisionOne()
    {
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", replicas = 2 })).SubmittedIdAsync();

        await WaitForStateAsync(id, RequestState.Succeeded);
        var request = await app.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == id));
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Equal(1, request.Revision);
        Assert.Equal(RolloutPhase.Succeeded, record.LastSnapshot!.Phase);
        Assert.Equal("deployment \"payments-api\" successfully rolled out", record.LastSnapshot.Message);
        Assert.Contains("kind: Deployment", record.AppliedManifests);
        var kubectl = Kubectl("get deploy,svc,configmap -n payments-staging -o name");
        Assert.Contains("deployment.apps/payments-api", kubectl);
        Assert.Contains("service/payments-api", kubectl);
    }

    [Fact]
    public async Task CrashingImageFailsAtTheDeadlineAndSaysWhy()
    {
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v2-crash", replicas = 2 })).SubmittedIdAsync();

        await WaitForStateAsync(id, RequestState.Failed, TimeSpan.FromSeconds(60));
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Equal("deployment \"payments-api\" exceeded its progress deadline", record.LastSnapshot!.Message);
        Assert.StartsWith("new pods crash: CrashLoopBackOff", record.LastSnapshot.Blocking);
    }

    private string Kubectl(string arguments)
    {
        var kubeconfig = Path.Combine(app.DataDirectory, "sandbox.kubeconfig");
        var start = new ProcessStartInfo("kubectl", $"--kubeconfig {kubeconfig} --cache-dir {Path.Combine(app.DataDirectory, "kubectl-cache")} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    private async Task WaitForStateAsync(int id, RequestState expected, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(30));
        RequestState state;
        while ((state = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync())) != expected)
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"Request {id} is {state}, not {expected}.");
            }

            await Task.Delay(50);
        }
    }
}
