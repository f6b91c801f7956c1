using System.Diagnostics;
using System.Net.Http.Json;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.HighAvailability;

[Collection(HighAvailabilityCollection.Name)]
public sealed class LeaderFailoverTests
{
    [Fact]
    public async Task KilledLeaderMidRolloutIsReplacedWithinTwentySecondsAndNothingIsAppliedTwice()
    {
        // At speed 2 a slow image takes 30 s to become ready: the rollout is still going when the leader dies.
        await using var ha = await TwoPortals.StartAsync(sandboxSpeed: 2);
        Assert.Equal("portal-a", await ha.LeaseHolderAsync());
        var alice = await ha.B.SignedInClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v4-slow", replicas = 2 })).SubmittedIdAsync();
        await Poll.UntilAsync(async () => await StateAsync(alice, id) == "RollingOut", TimeSpan.FromSeconds(120), "A did not start the rollout");

        ha.A.KillHard();
        var sinceKill = Stopwatch.StartNew();
        await Poll.UntilAsync(ha.B.IsLeaderAsync, TimeSpan.FromSeconds(40), "B did not take over:\n" + ha.Logs(), every: TimeSpan.FromMilliseconds(100));
        var takeover = sinceKill.Elapsed;
        Assert.Equal("RollingOut", await StateAsync(alice, id));

        await Poll.UntilAsync(async () => await StateAsync(alice, id) == "Succeeded", TimeSpan.FromSeconds(120), "B did not finish the rollout:\n" + ha.Logs());
        Assert.True(takeover < TimeSpan.FromSeconds(20), $"B led {takeover.TotalSeconds:0.0} s after A was killed");
        Assert.Equal("portal-b", await ha.LeaseHolderAsync());
        // Exactly once, as the cluster saw it: one apply of the Deployment in all, A's before it died.
        Assert.Single(ha.Sandbox.Writes("PATCH", "/apis/apps/v1/namespaces/payments-staging/deployments/payments-api"));
    }

    private static async Task<string> StateAsync(HttpClient client, int id) =>
        (await client.GetFromJsonAsync<RequestBody>($"/api/requests/{id}", PortalApi.Json))!.State;

    private sealed record RequestBody(int Id, string State);
}
