using System.Net;
using Bunit;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Rollouts;
using Portal.Rollouts.Components;
using Portal.Rollouts.Pages;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Rollouts;

/// <summary>A crash-looping pod's log through the portal: streamed on the rollout page, previous container included, only for its team.</summary>
public sealed class PodLogTests : PortalComponentTest
{
    private const string Crashing = "logs-crash";
    private const string Other = "logs-other";

    public PodLogTests(PortalApp app)
        : base(app)
    {
        Services.AddSingleton(app.Get<RolloutStreams>());
        Services.AddSingleton(app.Get<RolloutQueries>());
    }

    [Fact]
    public async Task TheRolloutPageStreamsTheCrashingPodsLogIncludingThePreviousContainer()
    {
        var (request, pod) = await CrashingPodAsync();
        await SignInAsAsync("alice");

        var cut = Render<RolloutPage>(p => p.Add(x => x.RequestId, request));
        // The log streams once asked for, so an open rollout page holds no log stream of its own.
        Assert.Empty(cut.FindAll("#pod-log"));
        cut.WaitForAssertion(() => cut.Click("#show-pod-logs"), TimeSpan.FromSeconds(30));
        cut.WaitForAssertion(() => Assert.Contains("INFO  starting", cut.Find("#pod-log").TextContent), TimeSpan.FromSeconds(30));
        Assert.Contains(pod, cut.Find("#log-pod").OuterHtml);
        cut.Change("input#log-previous, #log-previous input", true);

        cut.WaitForAssertion(() => Assert.Contains("ERROR exiting with code", cut.Find("#pod-log").TextContent), TimeSpan.FromSeconds(30));
        Assert.Contains("ERROR fatal: could not initialise", cut.Find("#pod-log").TextContent);
    }

    [Fact]
    public async Task TheLogApiGivesTheCurrentAndPreviousContainerToTheTeam()
    {
        var (_, pod) = await CrashingPodAsync();
        var alice = await App.ClientAsync("alice");

        var previous = await alice.GetStringAsync($"/api/services/payments/{Crashing}/environments/staging/pods/{pod}/log?previous=true");
        var pods = await alice.GetStringAsync($"/api/services/payments/{Crashing}/environments/staging/pods");

        Assert.Contains("ERROR exiting with code", previous);
        Assert.Contains(pod, pods);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var live = await alice.GetAsync($"/api/services/payments/{Crashing}/environments/staging/pods/{pod}/log", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await live.Content.ReadAsStreamAsync(cancel.Token));
        Assert.StartsWith("INFO  starting", await reader.ReadLineAsync(cancel.Token));
    }

    [Fact]
    public async Task AnotherTeamsUserGetsNoLogsAndNoPodNames()
    {
        var (_, pod) = await CrashingPodAsync();
        var dave = await App.ClientAsync("dave");

        var log = await dave.GetAsync($"/api/services/payments/{Crashing}/environments/staging/pods/{pod}/log?previous=true");
        var pods = await dave.GetAsync($"/api/services/payments/{Crashing}/environments/staging/pods");

        Assert.Equal(HttpStatusCode.Forbidden, log.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, pods.StatusCode);
        Assert.DoesNotContain("ERROR", await log.Content.ReadAsStringAsync());
        Assert.DoesNotContain(pod, await pods.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task APodOfAnotherServiceOrNamespaceIsRefused()
    {
        var (_, crashingPod) = await CrashingPodAsync();
        var otherRequest = await App.SubmitRequestAsync("alice", Other, "staging", form => form.ImageTag = "v1");
        await App.WaitForStateAsync(otherRequest.Id, Portal.Requests.RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var client = await App.Get<ClusterConnections>().ConnectAsync("default");
        var otherPod = (await client.CoreV1.ListNamespacedPodAsync("payments-staging", labelSelector: $"app.kubernetes.io/name={Other}")).Items[0].Metadata.Name;
        var alice = await App.ClientAsync("alice");

        var otherService = await alice.GetAsync($"/api/services/payments/{Crashing}/environments/staging/pods/{otherPod}/log");
        var otherNamespace = await alice.GetAsync($"/api/services/payments/{Crashing}/environments/production/pods/{crashingPod}/log?previous=true");
        var badName = await alice.GetAsync($"/api/services/payments/{Crashing}/environments/staging/pods/..%2F..%2Fsecrets/log");

        Assert.Equal(HttpStatusCode.NotFound, otherService.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, otherNamespace.StatusCode);
        Assert.True(badName.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{badName.StatusCode}");
        Assert.DoesNotContain("INFO", await otherService.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheLinesThePanelOpensWithAreShownInAFewRendersOneElementPerLine()
    {
        const string service = "logs-tail";
        await App.RegisterServiceAsync(service);
        var request = await App.SubmitRequestAsync("alice", service, "staging", form => (form.ImageTag, form.Replicas) = ("v1", 1));
        await App.WaitForStateAsync(request.Id, Portal.Requests.RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var client = await App.Get<ClusterConnections>().ConnectAsync("default");
        var pod = (await client.CoreV1.ListNamespacedPodAsync("payments-staging", labelSelector: $"app.kubernetes.io/name={service}")).Items[0].Metadata.Name;
        const int logged = 40;
        await Poll.UntilAsync(
            async () =>
            {
                using var reader = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod, "payments-staging"));
                return (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= logged;
            },
            TimeSpan.FromSeconds(90),
            $"The pod logged fewer than {logged} lines in time.");
        await SignInAsAsync("alice");

        var cut = Render<PodLogPanel>(p => p.Add(x => x.Team, "payments").Add(x => x.Service, service).Add(x => x.Environment, "staging"));
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("#pod-log span").Count >= logged), TimeSpan.FromSeconds(30));

        // One render per line made 40+ renders here (and sent the whole text each time); the tail comes in a few.
        Assert.True(cut.RenderCount <= 10, $"{cut.RenderCount} renders for {cut.FindAll("#pod-log span").Count} lines");
        Assert.Equal(cut.FindAll("#pod-log span").Count, cut.Find("#pod-log").TextContent.Count(c => c == '\n'));
    }

    [Fact]
    public void TheLogViewStartsWithTheLast500Lines()
    {
        Assert.Equal(500, new RolloutsOptions().PodLogTailLines);
    }

    private async Task<(int Request, string Pod)> CrashingPodAsync()
    {
        var client = await App.Get<ClusterConnections>().ConnectAsync("default");
        if (!(await App.WithDbAsync(db => Task.FromResult(db.Services.Any(s => s.Name == Crashing)))))
        {
            await App.RegisterServiceAsync(Crashing);
            await App.RegisterServiceAsync(Other);
            await App.SubmitRequestAsync("alice", Crashing, "staging", form => (form.ImageTag, form.Replicas) = ("v1-crash", 1));
        }

        var request = await App.WithDbAsync(db => Task.FromResult(db.DeploymentRequests.Where(r => r.Service.Name == Crashing).Max(r => r.Id)));
        V1Pod? crashed = null;
        await Poll.UntilAsync(
            async () =>
            {
                var pods = await client.CoreV1.ListNamespacedPodAsync("payments-staging", labelSelector: $"app.kubernetes.io/name={Crashing}");
                crashed = pods.Items.FirstOrDefault(p => p.Status?.ContainerStatuses?.Any(c => c.RestartCount >= 1 && c.State?.Running is not null) == true);
                return crashed is not null;
            },
            TimeSpan.FromSeconds(90),
            "No pod of the crashing service restarted and ran again in time.");
        return (request, crashed!.Metadata.Name);
    }
}

/// <summary>The bounds, on a portal of its own with small ones: the tail and the byte cap are enforced by the portal.</summary>
public sealed class PodLogBoundsTests
{
    [Fact]
    public async Task TheLogIsCutToTheTailAndTheByteCapAndTheStreamEnds()
    {
        await using var app = await PortalApp.StartAsync(("Rollouts:PodLogTailLines", "2"), ("Rollouts:PodLogMaxBytes", "300"));
        await app.RegisterServiceAsync("logs-bounds");
        var request = await app.SubmitRequestAsync("alice", "logs-bounds", "staging", form => (form.ImageTag, form.Replicas) = ("v1", 1));
        await app.WaitForStateAsync(request.Id, Portal.Requests.RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var client = await app.Get<ClusterConnections>().ConnectAsync("default");
        var pod = (await client.CoreV1.ListNamespacedPodAsync("payments-staging", labelSelector: "app.kubernetes.io/name=logs-bounds")).Items[0].Metadata.Name;
        await Poll.UntilAsync(
            async () =>
            {
                using var reader = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod, "payments-staging"));
                return (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 4;
            },
            TimeSpan.FromSeconds(30),
            "The pod logged fewer than 4 lines in time.");
        var alice = await app.ClientAsync("alice");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Followed live, the log grows a line every few simulated seconds until the cap ends the stream.
        var text = await alice.GetStringAsync($"/api/services/payments/logs-bounds/environments/staging/pods/{pod}/log", cancel.Token);
        var lines = text.TrimEnd('\n').Split('\n');

        Assert.Equal(PodLogs.CutLine(300), lines[^1]);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(string.Join('\n', lines[..^1])) <= 300, text);
        Assert.DoesNotContain("INFO  starting", lines[0]);
        Assert.True(lines.Length >= 3, text);
    }
}
