using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;

namespace Portal.Tests.Infrastructure;

/// <summary>Waiting on a request's state and asking kubectl about the embedded Sandbox, shared by the tests that need them.</summary>
public static class PortalAppChecks
{
    private static readonly RequestState[] Ended = [RequestState.Succeeded, RequestState.Rejected, RequestState.Cancelled, RequestState.Superseded, RequestState.Expired, RequestState.RolledBack];

    /// <summary>Polls the database until the request is in <paramref name="expected"/>; fails at once if it ended otherwise.</summary>
    public static async Task WaitForStateAsync(this PortalApp app, int id, RequestState expected, TimeSpan? within = null)
    {
        var state = RequestState.Submitted;
        await Poll.UntilAsync(
            async () =>
            {
                state = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync());
                Assert.False(state != expected && Ended.Contains(state), $"Request {id} ended {state}, not {expected}.");
                return state == expected;
            },
            within ?? TimeSpan.FromSeconds(30),
            $"Request {id} is not {expected} in time.");
    }

    /// <summary>kubectl against the portal's embedded Sandbox (its kubeconfig in the data folder); output and errors together.</summary>
    public static string Kubectl(this PortalApp app, string arguments) => Run(app, arguments).Output;

    public static void KubectlSucceeds(this PortalApp app, string arguments)
    {
        var (output, exitCode) = Run(app, arguments);
        Assert.True(exitCode == 0, output);
    }

    private static (string Output, int ExitCode) Run(PortalApp app, string arguments)
    {
        var kubeconfig = Path.Combine(app.DataDirectory, "sandbox.kubeconfig");
        using var process = Process.Start(new ProcessStartInfo("kubectl", $"--kubeconfig {kubeconfig} --cache-dir {Path.Combine(app.DataDirectory, "kubectl-cache")} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (output.Trim(), process.ExitCode);
    }
}
