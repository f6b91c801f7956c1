using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portal.Tests.Registry;

/// <summary>
/// Debian's <c>docker-registry</c> (distribution 2.8) on a free loopback port with filesystem storage in a temporary
/// folder. The auth section (htpasswd or token) and TLS are passed in as YAML. Killed and deleted on dispose.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly Process process;
    private readonly StringBuilder output;

    private LocalRegistry(Process process, StringBuilder output, string folder, Uri url)
    {
        this.process = process;
        this.output = output;
        Folder = folder;
        Url = url;
    }

    public string Folder { get; }

    public Uri Url { get; }

    /// <summary>host:port, as image references name this registry.</summary>
    public string Host => Url.Authority;

    /// <param name="auth">YAML for the <c>auth:</c> section, indented by two spaces, or null for an open registry.</param>
    /// <param name="tls">YAML lines for <c>http.tls</c>, indented by four spaces, or null for plain HTTP.</param>
    public static async Task<LocalRegistry> StartAsync(string? auth = null, string? tls = null, string? folder = null)
    {
        folder ??= TestFolder.Create("registry");
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var scheme = tls is null ? "http" : "https";
            var config = Path.Combine(folder, "config.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: {Path.Combine(folder, "data")}
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:{port}
                  secret: portal-tests
                {(tls is null ? "" : "  tls:\n" + tls)}
                {(auth is null ? "" : "auth:\n" + auth)}
                """);
            var output = new StringBuilder();
            var process = new Process
            {
                StartInfo = new ProcessStartInfo(Binary)
                {
                    ArgumentList = { "serve", config },
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                },
            };
            process.OutputDataReceived += (_, e) => Append(output, e.Data);
            process.ErrorDataReceived += (_, e) => Append(output, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var registry = new LocalRegistry(process, output, folder, new Uri($"{scheme}://127.0.0.1:{port}"));
            if (await registry.AnswersAsync())
            {
                return registry;
            }

            // Another process took the port between the probe and the registry's bind: try another one.
            await registry.StopAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"docker-registry did not start: {output}");
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until /v2/ answers anything (200, or 401 when auth is on), or the process has died.</summary>
    private async Task<bool> AnswersAsync()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/v2/"));
                return true;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    private async Task StopAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        TestFolder.Delete(Folder);
    }

    public override string ToString() => $"docker-registry at {Url}: {output}";

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}

internal static class TestFolder
{
    public static string Create(string purpose)
    {
        var folder = Path.Combine(Path.GetTempPath(), "portal-tests", $"{purpose}-{Guid.NewGuid():n}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open must not fail the test run; the temp folder is cleaned by the OS.
        }
    }
}
