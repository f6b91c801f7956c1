using System.Net;
using System.Text.RegularExpressions;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// The portal as its own process (<c>dotnet Portal.dll</c> from the test build output) on a free loopback port, set up
/// through environment variables, so that a test can kill it with SIGKILL as a crash or an evicted pod would.
/// </summary>
public sealed partial class PortalProcess : IAsyncDisposable
{
    private readonly ChildProcess process;

    private PortalProcess(string name, ChildProcess process, Uri baseAddress)
    {
        Name = name;
        this.process = process;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public bool HasExited => process.HasExited;

    public static async Task<PortalProcess> StartAsync(string name, IReadOnlyDictionary<string, string?> settings)
    {
        var port = ChildProcess.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var child = ChildProcess.Start(name, "dotnet", [Path.Combine(AppContext.BaseDirectory, "Portal.dll")], environment);
        var portal = new PortalProcess(name, child, new Uri($"http://127.0.0.1:{port}"));
        using var http = new HttpClient { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var ready = await Poll.UntilAsync(async () =>
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"Portal {name} stopped:\n{child.Tail()}");
            }

            try
            {
                return (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(240), failOnTimeout: false, every: TimeSpan.FromMilliseconds(200));
        Assert.True(ready, $"Portal {name} did not become ready:\n{child.Tail()}");
        return portal;
    }

    /// <summary>Everything the portal logged so far (for failure messages).</summary>
    public string Tail(int count = 60) => process.Tail(count);

    /// <summary>A client signed in through the real sign-in form, with its own cookie jar.</summary>
    public async Task<HttpClient> SignedInClientAsync(string userName, CookieContainer? cookies = null)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = BaseAddress };
        var response = await PortalApp.PostSignInAsync(client, userName, Portal.Identity.DemoData.Password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in of {userName} on {Name} answered {(int)response.StatusCode}.");
        }

        return client;
    }

    /// <summary>What <c>/metrics</c> says: whether this instance leads (<c>portal_leader 1</c>).</summary>
    public async Task<bool> IsLeaderAsync()
    {
        if (process.HasExited)
        {
            return false;
        }

        try
        {
            using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            var metrics = await http.GetStringAsync("/metrics");
            return metrics.Split('\n').Select(line => LeaderSample().Match(line)).Any(m => m.Success && m.Groups["value"].Value == "1");
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    public void KillHard() => process.KillHard();

    public ValueTask DisposeAsync() => process.DisposeAsync();

    [GeneratedRegex(@"^portal_leader(\{[^}]*\})? (?<value>[-+0-9.eE]+)")]
    private static partial Regex LeaderSample();
}
