using System.Diagnostics;
using k8s;

namespace Sandbox.Tests;

/// <summary>Debian's python3-kubernetes as a third judge beside kubectl and KubernetesClient (test.sh installs it).</summary>
public sealed class PythonClientTests
{
    [Fact]
    public async Task ThePythonClientListsReadsCreatesPatchesScalesWatchesReadsLogsAndSeesClaimsBound()
    {
        await using var cluster = await TestCluster.StartAsync(time: new AcceleratedTimeProvider(20), controllers: true);
        await cluster.Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = "judge" } });
        var script = Path.Combine(AppContext.BaseDirectory, "Python", "judge.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(cluster.KubeconfigPath);
        start.ArgumentList.Add("judge");
        start.Environment.Remove("KUBECONFIG");

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the python judge did not finish:\n{await output}");
        }

        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.ExitCode == 0, $"python judge failed ({process.ExitCode}):\n{string.Join('\n', lines)}\n{await error}");
        Assert.Equal(["ok list", "ok read", "ok create and patch", "ok scale", "ok watch", "ok logs", "ok claims"], lines);
    }
}
