using System.Diagnostics;
using k8s;
using Microsoft.Extensions.Time.Testing;

namespace Sandbox.Tests;

/// <summary>A Sandbox started on a free port for one test, with a kubeconfig on disk and a KubernetesClient built from it.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(SandboxHost host, string directory, Kubernetes client)
    {
        Host = host;
        Directory = directory;
        Client = client;
    }

    public SandboxHost Host { get; }
    public string Directory { get; }
    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");
    public Kubernetes Client { get; }

    public static async Task<TestCluster> StartAsync(int watchHistory = 1000, TimeProvider? time = null, string? stateDirectory = null, bool controllers = false)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sandbox-tests", Guid.NewGuid().ToString("n"));
        System.IO.Directory.CreateDirectory(directory);
        var host = new SandboxHost(new SandboxOptions
        {
            Port = 0,
            WatchHistory = watchHistory,
            Time = time ?? new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero)),
            StateDirectory = stateDirectory,
            // API tests run without controllers so that only the test writes; controller tests start them explicitly.
            RunControllers = controllers,
            ConsoleLogging = Environment.GetEnvironmentVariable("SANDBOX_TEST_LOGS") == "1",
        });
        await host.StartAsync();
        var kubeconfig = Path.Combine(directory, "kubeconfig");
        await host.WriteKubeconfigAsync(kubeconfig);
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        return new TestCluster(host, directory, client);
    }

    /// <summary>Runs kubectl against this cluster with its own cache directory; fails the test on a timeout.</summary>
    public async Task<KubectlResult> KubectlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(KubeconfigPath);
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(Directory, "kubectl-cache"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish within 60s");
        }
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Writes a manifest into the test's folder and returns its path.</summary>
    public string Manifest(string name, string yaml)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* a kubectl cache file still open; the temp folder is cleaned by the OS */ }
    }
}

internal sealed record KubectlResult(int ExitCode, string Output, string Error)
{
    public KubectlResult Succeeded()
    {
        Assert.True(ExitCode == 0, $"kubectl failed with {ExitCode}:\n{Error}\n{Output}");
        return this;
    }
}

internal static class Eventually
{
    /// <summary>Waits for a condition, polling, failing the test after the timeout (never a fixed sleep).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutSeconds = 15)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(timeoutSeconds))
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, int timeoutSeconds = 15) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeoutSeconds);
}
