using System.Text.RegularExpressions;
using k8s;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// The Sandbox run stand-alone (<c>Sandbox.dll --port 0 --kubeconfig FILE --speed N</c>), as a cluster several portal
/// processes share. Its request log says which calls reached it.
/// </summary>
public sealed partial class SandboxProcess : IAsyncDisposable
{
    private ChildProcess? process;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "portal-tests", "sandbox-" + Guid.NewGuid().ToString("n"));

    public string Kubeconfig => Path.Combine(Folder, "kubeconfig");

    public static async Task<SandboxProcess> StartAsync(double speed)
    {
        var sandbox = new SandboxProcess();
        Directory.CreateDirectory(sandbox.Folder);
        var dll = Path.Combine(AppContext.BaseDirectory, "Sandbox.dll");
        // The test output holds the portal's appsettings.json, which quiets ASP.NET Core: the request log is what counts here.
        var logRequests = new Dictionary<string, string?> { ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" };
        sandbox.process = ChildProcess.Start("sandbox", "dotnet", [dll, "--port", "0", "--kubeconfig", sandbox.Kubeconfig, "--speed", speed.ToString(System.Globalization.CultureInfo.InvariantCulture)], logRequests);
        await Poll.UntilAsync(() => File.Exists(sandbox.Kubeconfig) || sandbox.process.HasExited, TimeSpan.FromSeconds(60), "the Sandbox did not write its kubeconfig");
        if (sandbox.process.HasExited)
        {
            throw new InvalidOperationException("The Sandbox stopped: " + sandbox.process.Tail());
        }

        return sandbox;
    }

    public IKubernetes Client() => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

    /// <summary>The writes (not dry runs) that reached the cluster: <c>PATCH /apis/apps/v1/namespaces/NS/deployments/NAME</c>.</summary>
    public IReadOnlyList<string> Writes(string method, string path) => RequestLog().Count == 0
        ? throw new InvalidOperationException("The Sandbox logged no requests: its request log is off.")
        : Writes(RequestLog(), method, path);

    private List<Match> RequestLog() => [.. (process?.Output ?? []).Select(line => RequestStarting().Match(line)).Where(m => m.Success)];

    private static IReadOnlyList<string> Writes(List<Match> log, string method, string path) =>
        [.. log.Where(m => m.Groups["method"].Value == method && m.Groups["path"].Value == path && !m.Groups["query"].Value.Contains("dryRun=All", StringComparison.Ordinal))
            .Select(m => m.Value)];

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"Request starting HTTP/[0-9.]+ (?<method>[A-Z]+) https://[^/]+(?<path>/[^? ]*)(?<query>\?[^ ]*)?")]
    private static partial Regex RequestStarting();
}
