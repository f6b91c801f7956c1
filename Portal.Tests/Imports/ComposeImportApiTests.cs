using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Imports;

/// <summary><c>POST /api/teams/{team}/imports</c> through real HTTP, with a real SQLite file and the embedded Sandbox.</summary>
public sealed class ComposeImportApiTests(PortalApp app) : IClassFixture<PortalApp>
{
    internal static Task<HttpResponseMessage> PostComposeAsync(HttpClient client, string team, string yaml, string query = "")
    {
        var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        return client.PostAsync($"/api/teams/{team}/imports{query}", content);
    }

    /// <summary>Rows of every table an import writes to, to show that a refused import wrote nothing.</summary>
    internal static Task<(int Services, int Requests, int Secrets, int Audit)> CountRowsAsync(PortalApp app) =>
        app.WithDbAsync(async db => (await db.Services.CountAsync(), await db.DeploymentRequests.CountAsync(), await db.SecretValues.CountAsync(), await db.AuditEvents.CountAsync()));

    [Fact]
    public async Task ADryRunReturnsThePlanAndWritesNothing()
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountRowsAsync(app);

        var response = await PostComposeAsync(alice, "payments", ComposeSamples.ThreeServices("dry"), "?dryRun=true");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var services = JsonDocument.Parse(text).RootElement.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(["dry-api", "dry-worker", "dry-db"], services.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(["Web", "Worker", "Web"], services.Select(s => s.GetProperty("kind").GetString()));
        Assert.Equal("POSTGRES_PASSWORD", services[2].GetProperty("secretKeys")[0].GetString());
        Assert.Equal("db-data", services[2].GetProperty("volumes")[0].GetProperty("name").GetString());
        Assert.Contains(services[0].GetProperty("notCarried").EnumerateArray(), n => n.GetProperty("key").GetString() == "services.dry-api.depends_on");
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, text);
        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task AMultipartUploadIsReadLikeARawBody()
    {
        var alice = await app.ClientAsync("alice");
        using var form = new MultipartFormDataContent { { new StringContent(ComposeSamples.ThreeServices("multi")), "file", "docker-compose.yml" } };

        var response = await alice.PostAsync("/api/teams/payments/imports?dryRun=true", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await response.JsonAsync()).GetProperty("services").GetArrayLength());
    }

    [Fact]
    public async Task ImportWithoutAnEnvironmentRegistersTheChosenServicesWithTheirKinds()
    {
        var alice = await app.ClientAsync("alice");

        var response = await PostComposeAsync(alice, "payments", ComposeSamples.ThreeServices("reg"), "?services=reg-api,reg-worker&confirmSecrets=true");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var services = await app.WithDbAsync(db => db.Services.Where(s => s.Name.StartsWith("reg-")).OrderBy(s => s.Name).ToListAsync());
        Assert.Equal([("reg-api", ServiceKind.Web, 80), ("reg-worker", ServiceKind.Worker, 0)], services.Select(s => (s.Name, s.Kind, s.ContainerPort)));
        Assert.Equal("ghcr.io/example/reg-api", services[0].ImageRepository);
        Assert.True(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Subject == "payments/reg-worker" && e.Action == "Registered")));
        Assert.Equal("/services/payments/reg-api", JsonDocument.Parse(text).RootElement.GetProperty("services")[0].GetProperty("page").GetString());
        Assert.DoesNotContain("tok-123-abc", text);
    }

    [Fact]
    public async Task ImportNeedsEachSecretConfirmedAndWritesNothingUntilThen()
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountRowsAsync(app);

        var response = await PostComposeAsync(alice, "payments", ComposeSamples.ThreeServices("unconfirmed"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.Contains("confirm that POSTGRES_PASSWORD is a secret", errors.GetProperty("services.unconfirmed-db.secrets.POSTGRES_PASSWORD")[0].GetString());
        Assert.True(errors.TryGetProperty("services.unconfirmed-api.secrets.API_TOKEN", out _));
        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task OneInvalidServiceRefusesTheWholeImportNamingTheServiceAndTheField()
    {
        var alice = await app.ClientAsync("alice");
        await PostComposeAsync(alice, "payments", "services:\n  taken-web:\n    image: example/web:1\n    ports: [\"80\"]\n", "");
        var before = await CountRowsAsync(app);
        var yaml = "services:\n  fresh-web:\n    image: example/web:1\n    ports: [\"80\"]\n  taken-web:\n    image: example/web:2\n    ports: [\"80\"]\n";

        var response = await PostComposeAsync(alice, "payments", yaml);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Contains("already has a service named 'taken-web'", body.GetProperty("errors").GetProperty("services.taken-web.Name")[0].GetString());
        Assert.Contains("Nothing was imported", body.GetProperty("title").GetString());
        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task AnInvalidServiceNameIsRefusedAndNothingIsWritten()
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountRowsAsync(app);

        var response = await PostComposeAsync(alice, "payments", ComposeSamples.InvalidName);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("cannot be a portal service name", (await response.JsonAsync()).GetProperty("errors").GetProperty("services.9-lives!")[0].GetString());
        Assert.Equal(before, await CountRowsAsync(app));
    }

    public static TheoryData<string, string, string> HostileFiles => new()
    {
        { "alias bomb", ComposeSamples.AliasBomb, "file" },
        { "ports as a map", ComposeSamples.PortsAsAMap, "services.api.ports" },
        { "replicas in words", ComposeSamples.ReplicasAsWords, "services.api.deploy.replicas" },
        { "unknown key", ComposeSamples.UnknownKey, "services.api.imagePullSecrets" },
        { "not YAML", "services: [unclosed", "file" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task AHostileOrMalformedFileGetsAProblemNamingTheKeyAndWritesNothing(string what, string yaml, string key)
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountRowsAsync(app);

        foreach (var query in new[] { "?dryRun=true", "?confirmSecrets=true&environment=staging" })
        {
            var response = await PostComposeAsync(alice, "payments", yaml, query);

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {response.StatusCode}");
            var body = await response.JsonAsync();
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(body.GetProperty("errors").TryGetProperty(key, out _), $"{what}: no error at {key} in {body}");
        }

        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task AFileOverOneMegabyteIsRefusedAndNothingIsWritten()
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountRowsAsync(app);

        var overTheImportLimit = await PostComposeAsync(alice, "payments", ComposeSamples.Oversized(1024 * 1024 + 10_000), "?confirmSecrets=true");
        var overTheApiLimit = await PostComposeAsync(alice, "payments", ComposeSamples.Oversized(10 * 1024 * 1024), "?confirmSecrets=true");

        Assert.Equal(HttpStatusCode.BadRequest, overTheImportLimit.StatusCode);
        Assert.Contains("over 1 MB", (await overTheImportLimit.JsonAsync()).GetProperty("errors").GetProperty("file")[0].GetString());
        // A 10 MB body is stopped by the API's own body limit before the import reads it: a 413 ProblemDetails.
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overTheApiLimit.StatusCode);
        Assert.Contains("at most", (await overTheApiLimit.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task AnotherTeamsMemberIsForbiddenAndAnonymousIsUnauthorized()
    {
        var dave = await app.ClientAsync("dave");
        var before = await CountRowsAsync(app);

        var forbidden = await PostComposeAsync(dave, "payments", ComposeSamples.ThreeServices("other"), "?confirmSecrets=true");
        var anonymous = await PostComposeAsync(new HttpClient { BaseAddress = app.BaseAddress }, "payments", ComposeSamples.ThreeServices("anon"), "?dryRun=true");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task AnUnknownEnvironmentIsRefusedNamingTheField()
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountRowsAsync(app);

        var response = await PostComposeAsync(alice, "payments", ComposeSamples.ThreeServices("noenv"), "?confirmSecrets=true&environment=moon");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no environment 'moon'", (await response.JsonAsync()).GetProperty("errors").GetProperty("environment")[0].GetString());
        Assert.Equal(before, await CountRowsAsync(app));
    }

    [Fact]
    public async Task ImportSubmitsTheApisFirstDeployToStagingWhereItRollsOutWithItsProbeAndSecret()
    {
        var alice = await app.ClientAsync("alice");

        var response = await PostComposeAsync(alice, "payments", ComposeSamples.ThreeServices("solo"), "?services=solo-api&confirmSecrets=true&environment=staging");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var imported = JsonDocument.Parse(text).RootElement.GetProperty("services")[0];
        var id = imported.GetProperty("requestId").GetInt32();
        await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var spec = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.Spec).SingleAsync());
        Assert.Equal(("1.4.2", 2, 80), (spec.ImageTag, spec.Replicas, spec.ContainerPort));
        Assert.Equal(ProbeSpec.Http("/healthz", 80, 20) with { PeriodSeconds = 15, TimeoutSeconds = 5, FailureThreshold = 5 }, spec.Readiness);
        Assert.Equal("/healthz", app.Kubectl("get deploy solo-api -n payments-staging -o jsonpath={.spec.template.spec.containers[0].readinessProbe.httpGet.path}"));
        Assert.Contains("API_TOKEN", app.Kubectl("get secret solo-api-secrets -n payments-staging -o jsonpath={.data}"));
        Assert.DoesNotContain("tok-123-abc", text);
        Assert.DoesNotContain("tok-123-abc", app.Logs.All);
        Assert.DoesNotContain("tok-123-abc", await app.WithDbAsync(db => db.AuditEvents.Select(e => e.Comment).ToListAsync()).ContinueWith(t => string.Join('\n', t.Result)));
    }
}
