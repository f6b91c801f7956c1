using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Notifications;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Notifications;

public sealed class WebhookTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    internal static readonly (string, string?)[] Fast =
    [
        ("Notifications:PollInterval", "00:00:00.100"),
        ("Notifications:RetryBaseDelay", "00:00:00.100"),
        ("Notifications:MaxRetryDelay", "00:00:00.500"),
    ];

    [Fact]
    public async Task DeliveriesAreSignedWithTheHookSecretAndNameTheirEvent()
    {
        using var receiver = new WebhookReceiver();
        await using var app = await PortalApp.StartAsync(Fast);
        var service = await app.RegisterServiceAsync("signed-hooks");
        var bob = await app.ClientAsync("bob");
        var secret = await CreateHookAsync(bob, receiver.Url, "Json", ["Submitted", "AwaitingApproval", "Approved", "Rejected"]);

        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1", comment = "ship it" })).SubmittedIdAsync();
        await bob.DecideAsync(id, "reject", "not today");

        await Poll.UntilAsync(() => receiver.Accepted.Count >= 3, Within, "The receiver did not get submitted, awaiting approval and rejected.");
        var got = receiver.Accepted.Select(r => (Hook: r, Json: JsonDocument.Parse(r.Body).RootElement)).ToList();
        Assert.Equal(["request.awaiting_approval", "request.rejected", "request.submitted"], got.Select(g => g.Json.GetProperty("type").GetString()).Order(StringComparer.Ordinal));
        foreach (var (hook, json) in got)
        {
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(hook.Body)));
            Assert.Equal(expected, hook.Signature);
            Assert.Equal(json.GetProperty("id").GetString(), hook.EventId);
            Assert.Equal(json.GetProperty("type").GetString(), hook.EventType);
            Assert.InRange(long.Parse(hook.Timestamp!, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
            Assert.Equal(id, json.GetProperty("request").GetProperty("id").GetInt32());
            Assert.Equal(service.Name, json.GetProperty("service").GetString());
            Assert.Equal("payments", json.GetProperty("team").GetString());
        }

        var rejected = got.Single(g => g.Json.GetProperty("type").GetString() == "request.rejected").Json;
        Assert.Equal("bob", rejected.GetProperty("actor").GetString());
        Assert.Equal("not today", rejected.GetProperty("comment").GetString());

        // A body signed with another secret does not verify: the check above can fail.
        Assert.NotEqual(WebhookPayloads.Signature("whsec_other", got[0].Hook.Body), got[0].Hook.Signature);
    }

    [Fact]
    public async Task AFailingReceiverGetsTheSameSignedBodyAgainUntilItAccepts()
    {
        using var receiver = new WebhookReceiver { FailFirst = 2 };
        await using var app = await PortalApp.StartAsync(Fast);
        var bob = await app.ClientAsync("bob");
        await CreateHookAsync(bob, receiver.Url, "Json", ["Succeeded"]);
        var hookId = await OnlyHookIdAsync(bob);

        var queued = await bob.PostAsync($"/api/teams/payments/webhooks/{hookId}/test", null);

        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        await Poll.UntilAsync(() => receiver.Accepted.Count == 1, Within, "The test event was never accepted.");
        var attempts = receiver.Received.ToList();
        Assert.Equal([500, 500, 200], attempts.Select(a => a.Answered));
        Assert.Single(attempts.Select(a => a.Body).Distinct());
        Assert.Single(attempts.Select(a => a.Signature).Distinct());
        Assert.Equal("test", JsonDocument.Parse(attempts[0].Body).RootElement.GetProperty("type").GetString());

        JsonElement log = default;
        await Poll.UntilAsync(async () => (log = await bob.GetFromJsonAsync<JsonElement>($"/api/teams/payments/webhooks/{hookId}/deliveries"))[0].GetProperty("state").GetString() == "Delivered", Within);
        Assert.Equal(3, log[0].GetProperty("attempts").GetInt32());
        Assert.Equal(200, log[0].GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task ADeliveryThatKeepsFailingIsGivenUpAfterTheLastAttemptWithItsError()
    {
        using var receiver = new WebhookReceiver { Down = true };
        await using var app = await PortalApp.StartAsync([.. Fast, ("Notifications:MaxAttempts", "3")]);
        var bob = await app.ClientAsync("bob");
        await CreateHookAsync(bob, receiver.Url, "Json", ["Succeeded"]);
        var hookId = await OnlyHookIdAsync(bob);

        await bob.PostAsync($"/api/teams/payments/webhooks/{hookId}/test", null);

        JsonElement log = default;
        await Poll.UntilAsync(async () => (log = await bob.GetFromJsonAsync<JsonElement>($"/api/teams/payments/webhooks/{hookId}/deliveries"))[0].GetProperty("state").GetString() == "GaveUp", Within);
        Assert.Equal(3, log[0].GetProperty("attempts").GetInt32());
        Assert.Equal(500, log[0].GetProperty("statusCode").GetInt32());
        Assert.Contains("500", log[0].GetProperty("error").GetString());
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task EventsSavedBeforeARestartAreDeliveredAfterItExactlyOnce()
    {
        using var receiver = new WebhookReceiver { Down = true };
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("n"));
        string secret;
        int requestId;
        (string, string?)[] settings = [.. Fast, ("Notifications:MaxAttempts", "50"), ("Notifications:LeaseDuration", "00:00:02")];
        await using (var first = PortalApp.Reusing(dataDirectory))
        {
            foreach (var (key, value) in settings)
            {
                first.With(key, value);
            }

            await first.InitializeAsync();
            var service = await first.RegisterServiceAsync("restarted-hooks");
            var bob = await first.ClientAsync("bob");
            secret = await CreateHookAsync(bob, receiver.Url, "Json", [.. TeamWebhooks.Subscribable.Select(k => k.ToString())]);
            var alice = await first.ClientAsync("alice");
            requestId = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v1" })).SubmittedIdAsync();
            await bob.DecideAsync(requestId, "reject", "after the restart");
            await Poll.UntilAsync(() => receiver.Received.Count >= 3, Within, "The dispatcher never tried the receiver before the restart.");
        }

        receiver.Down = false;
        await using var second = PortalApp.Reusing(dataDirectory);
        foreach (var (key, value) in settings)
        {
            second.With(key, value);
        }

        await second.InitializeAsync();

        var saved = await second.WithDbAsync(db => db.NotificationEvents.Where(e => e.RequestId == requestId).Select(e => e.Id).ToListAsync());
        Assert.Equal(3, saved.Count);
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 3, Within, "The events saved before the restart were not delivered after it.");
        await second.Get<WebhookDispatcher>().RunOnceAsync(CancellationToken.None);
        var accepted = receiver.Accepted;
        Assert.Equal(saved.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), accepted.Select(a => a.EventId!).Order());
        Assert.All(accepted, a => Assert.Equal(WebhookPayloads.Signature(secret, a.Body), a.Signature));
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task TwoDispatchersRacingOnOneDatabaseSendEveryEventOnce()
    {
        using var receiver = new WebhookReceiver();
        // The app's own dispatcher sleeps; two others race over the same outbox.
        await using var app = await PortalApp.StartAsync(("Notifications:PollInterval", "00:10:00"));
        var bob = await app.ClientAsync("bob");
        await CreateHookAsync(bob, receiver.Url, "Slack", ["BreakGlass"]);
        var teamId = await app.WithDbAsync(db => db.Teams.Where(t => t.Name == "payments").Select(t => t.Id).SingleAsync());
        await app.WithDbAsync(async db =>
        {
            for (var i = 0; i < 40; i++)
            {
                Portal.Notifications.Notifications.Enqueue(db, new NotificationEvent { Kind = NotificationKind.BreakGlass, TeamId = teamId, Environment = "production", Actor = "admin", Comment = $"break {i}", At = DateTimeOffset.UtcNow });
            }

            return await db.SaveChangesAsync();
        });

        var racers = Enumerable.Range(0, 2).Select(_ => ActivatorUtilities.CreateInstance<WebhookDispatcher>(app.Services)).ToList();
        await Task.WhenAll(racers.Select(r => Task.Run(() => r.RunOnceAsync(CancellationToken.None))));
        await Task.WhenAll(racers.Select(r => r.RunOnceAsync(CancellationToken.None)));

        var received = receiver.Received.ToList();
        Assert.Equal(40, received.Count);
        Assert.Equal(40, received.Select(r => r.EventId).Distinct().Count());
        Assert.Equal(40, await app.WithDbAsync(db => db.WebhookDeliveries.CountAsync(d => d.State == DeliveryState.Delivered)));
        var slack = JsonDocument.Parse(received[0].Body).RootElement;
        Assert.StartsWith("payments break-glass in production, by admin.", slack.GetProperty("text").GetString());
        Assert.Equal("section", slack.GetProperty("blocks")[0].GetProperty("type").GetString());
        Assert.Equal("mrkdwn", slack.GetProperty("blocks")[0].GetProperty("text").GetProperty("type").GetString());
        Assert.Contains(">break", slack.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
    }

    [Fact]
    public async Task TheSigningSecretIsShownOnceAndNeverInTheApiPagesOrLogs()
    {
        using var receiver = new WebhookReceiver();
        await using var app = await PortalApp.StartAsync(Fast);
        var bob = await app.ClientAsync("bob");
        var secret = await CreateHookAsync(bob, receiver.Url, "Json", ["Succeeded"]);
        var hookId = await OnlyHookIdAsync(bob);
        await bob.PostAsync($"/api/teams/payments/webhooks/{hookId}/test", null);
        await Poll.UntilAsync(() => receiver.Accepted.Count == 1, Within);

        var list = await bob.GetStringAsync("/api/teams/payments/webhooks");
        var log = await bob.GetStringAsync($"/api/teams/payments/webhooks/{hookId}/deliveries");
        var browser = await app.SignedInClientAsync("bob");
        var page = await browser.GetStringAsync("/teams/payments/webhooks");

        Assert.Contains("127.0.0.1", list);
        Assert.Contains("Webhooks of payments", page);
        Assert.DoesNotContain(secret, list);
        Assert.DoesNotContain(secret, log);
        Assert.DoesNotContain(secret, page);
        Assert.DoesNotContain(secret, receiver.Received.Single().Body);
        Assert.DoesNotContain(secret, app.Logs.All);
        var stored = await app.WithDbAsync(db => db.Webhooks.Select(h => h.SecretCiphertext).SingleAsync());
        Assert.DoesNotContain(secret, stored);
    }

    [Fact]
    public async Task ABadHookIsRefusedNamingTheFieldAndNothingIsStored()
    {
        await using var app = await PortalApp.StartAsync();
        var bob = await app.ClientAsync("bob");
        var alice = await app.ClientAsync("alice");

        var bad = await bob.PostAsJsonAsync("/api/teams/payments/webhooks", new { url = "ftp://example.com/x", format = "Json", events = Array.Empty<string>() }, PortalApi.Json);
        var member = await alice.PostAsJsonAsync("/api/teams/payments/webhooks", new { url = "https://example.com/x", format = "Json", events = new[] { "Succeeded" } }, PortalApi.Json);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.JsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("Url", out _));
        Assert.True(errors.TryGetProperty("Events", out _));
        Assert.Equal(HttpStatusCode.NotFound, member.StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Webhooks.CountAsync()));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook", "loopback address 127.0.0.1")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata) address 169.254.169.254")]
    [InlineData("https://10.1.2.3/hook", "private address 10.1.2.3")]
    [InlineData("https://172.20.0.5/hook", "private address 172.20.0.5")]
    [InlineData("https://192.168.1.10/hook", "private address 192.168.1.10")]
    [InlineData("http://[::1]/hook", "loopback address ::1")]
    [InlineData("http://[::ffff:192.168.0.1]/hook", "private address 192.168.0.1")]
    [InlineData("http://[fd00:ec2::254]/hook", "unique-local (private) address fd00:ec2::254")]
    [InlineData("http://0.0.0.0:9000/", "unspecified address 0.0.0.0")]
    [InlineData("http://localhost:5000/hook", "local name localhost")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "local name metadata.google.internal")]
    public async Task AHookToTheInternalNetworkIsRefusedByDefaultNamingTheUrlFieldAndTheSetting(string url, string what)
    {
        await using var app = await PortalApp.StartAsync(("Notifications:AllowPrivateTargets", "false"));
        var bob = await app.ClientAsync("bob");

        var refused = await bob.PostAsJsonAsync("/api/teams/payments/webhooks", new { url, format = "Json", events = new[] { "Succeeded" } }, PortalApi.Json);
        var publicHook = await bob.PostAsJsonAsync("/api/teams/payments/webhooks", new { url = "https://hooks.example.com/deploys", format = "Json", events = new[] { "Succeeded" } }, PortalApi.Json);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var message = (await refused.JsonAsync()).GetProperty("errors").GetProperty("Url")[0].GetString();
        Assert.Contains($"points at the {what}", message!.Replace("points at a ", "points at the "));
        Assert.Contains("Notifications:AllowPrivateTargets", message);
        Assert.Equal(HttpStatusCode.Created, publicHook.StatusCode);
        Assert.Equal(["https://hooks.example.com/deploys"], await app.WithDbAsync(db => db.Webhooks.Select(h => h.Url).ToListAsync()));
    }

    [Fact]
    public async Task ADeliveryWhoseHostResolvesToAnInternalAddressIsRefusedWhenItConnects()
    {
        using var receiver = new WebhookReceiver();
        await using var app = await PortalApp.StartAsync([.. Fast, ("Notifications:AllowPrivateTargets", "false"), ("Notifications:MaxAttempts", "2")]);
        var bob = await app.ClientAsync("bob");
        // A hook that passed the check when it was made, but whose name now resolves to loopback (DNS rebinding): the
        // row is written directly, as the check at creation would refuse the name.
        await CreateHookAsync(bob, "https://hooks.example.com/deploys", "Json", ["Succeeded"]);
        var port = new Uri(receiver.Url).Port;
        await app.WithDbAsync(db => db.Webhooks.ExecuteUpdateAsync(u => u.SetProperty(h => h.Url, $"http://localhost:{port}/hook/")));
        var hookId = await OnlyHookIdAsync(bob);

        await bob.PostAsync($"/api/teams/payments/webhooks/{hookId}/test", null);

        JsonElement log = default;
        await Poll.UntilAsync(async () => (log = await bob.GetFromJsonAsync<JsonElement>($"/api/teams/payments/webhooks/{hookId}/deliveries"))[0].GetProperty("state").GetString() == "GaveUp", Within);
        var error = log[0].GetProperty("error").GetString();
        Assert.Contains("loopback address", error);
        Assert.Contains("localhost resolves to it", error);
        Assert.Empty(receiver.Received);
    }

    internal static async Task<string> CreateHookAsync(HttpClient client, string url, string format, string[] events)
    {
        var response = await client.PostAsJsonAsync("/api/teams/payments/webhooks", new { url, format, events }, PortalApi.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("secret").GetString()!;
    }

    private static async Task<int> OnlyHookIdAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/teams/payments/webhooks"))[0].GetProperty("id").GetInt32();
}
