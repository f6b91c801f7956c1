using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hardening;

/// <summary>The cases of issue 10, each by name, through the real HTTP API of a portal running in Development.</summary>
public sealed class ApiErrorTests(PortalApp app) : IClassFixture<PortalApp>
{
    private const string Hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task TrailingNewlineInEnvNameIsRefused()
    {
        var response = await SubmitAsync("""{"imageTag":"v1","setEnv":{"FOO\n":"x"}}""");

        await AssertRefusedAsync(response, "EnvVars[0].Name", "not a valid variable name");
    }

    [Fact]
    public async Task TrailingNewlineInSecretKeyIsRefused()
    {
        var response = await SubmitAsync("""{"imageTag":"v1","setSecrets":{"KEY\n":"x"}}""");

        await AssertRefusedAsync(response, "Secrets[0].Key", "not a valid secret key");
    }

    [Fact]
    public async Task TrailingNewlineInImageDigestIsRefused()
    {
        var response = await SubmitAsync($$"""{"imageTag":"v1","imageDigest":"sha256:{{Hex64}}\n"}""");

        await AssertRefusedAsync(response, "ImageDigest", "64 lowercase hex digits");
    }

    [Theory]
    [InlineData(".", "must not be '.'")]
    [InlineData("..", "must not be '..'")]
    [InlineData("..x", "must not start with '..'")]
    public async Task SecretKeysDotDotDotAndDotDotPrefixAreRefused(string key, string message)
    {
        var response = await SubmitAsync($$$"""{"imageTag":"v1","setSecrets":{"{{{key}}}":"x"}}""");

        await AssertRefusedAsync(response, "Secrets[0].Key", message);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(1_000_000)]
    public async Task EnvVarNamesLongerThanAConfigMapKeyAreRefused(int length)
    {
        var response = await SubmitAsync($$$"""{"imageTag":"v1","setEnv":{"{{{new string('A', length)}}}":"x"}}""");

        await AssertRefusedAsync(response, "EnvVars[0].Name", "at most 253 characters");
    }

    [Fact]
    public async Task ServiceNamedNineLivesIsRefused()
    {
        var before = await app.WithDbAsync(db => db.Services.CountAsync());

        var outcome = await app.Get<ServiceCatalog>().RegisterAsync(await app.PrincipalAsync("alice"),
            new ServiceForm { Name = "9lives", Team = "payments", ImageRepository = "registry.example.com/payments/nine", ContainerPort = 8080 });

        Assert.Equal(OutcomeKind.Invalid, outcome.Kind);
        Assert.Contains("starting with a letter", outcome.FieldErrors[nameof(ServiceForm.Name)][0]);
        Assert.Equal(before, await app.WithDbAsync(db => db.Services.CountAsync()));
    }

    [Fact]
    public async Task TeamWhoseNamespaceWouldBeTooLongIsRefused()
    {
        var name = new string('t', 55);

        var outcome = await app.Get<Portal.Identity.TeamDirectory>().CreateTeamAsync(await app.PrincipalAsync("carol"), name, "Long");

        Assert.Equal(OutcomeKind.Invalid, outcome.Kind);
        Assert.Contains("at most 63 characters", outcome.FieldErrors["Name"][0]);
        Assert.Equal(0, await app.WithDbAsync(db => db.Teams.CountAsync(t => t.Name == name)));
    }

    [Fact]
    public async Task OneMegabyteCommentIsRefused()
    {
        var service = await app.RegisterServiceAsync("long-comments");
        var waiting = await app.SubmitRequestAsync("alice", service.Name, "production", form => form.ImageTag = "v1");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var comment = new string('c', 1_000_000);
        var before = await CountsAsync();

        var answers = new Dictionary<string, HttpResponseMessage>
        {
            ["submit"] = await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v2", comment }),
            ["approve"] = await bob.DecideAsync(waiting.Id, "approve", comment),
            ["reject"] = await bob.DecideAsync(waiting.Id, "reject", comment),
            ["cancel"] = await alice.DecideAsync(waiting.Id, "cancel", comment),
            ["rollback"] = await alice.PostAsync($"/api/services/payments/{service.Name}/environments/production/rollback", Json(new { revision = 1, comment })),
        };

        foreach (var (what, response) in answers)
        {
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode}");
            var errors = (await response.JsonAsync()).GetProperty("errors");
            Assert.True(errors.TryGetProperty("Comment", out var messages), $"{what}: {errors}");
            Assert.Contains($"at most {FreeText.MaxLength} characters", messages[0].GetString());
        }

        Assert.Equal(before, await CountsAsync());
        Assert.Equal(RequestState.AwaitingApproval, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == waiting.Id).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task BodyAboveTheApiLimitIsAnswered413WithAProblem()
    {
        var alice = await app.ClientAsync("alice");
        var big = Encoding.UTF8.GetBytes($$"""{"imageTag":"v1","comment":"{{new string('x', 2 * 1024 * 1024)}}"}""");
        var before = await CountsAsync();

        var withLength = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests", new ByteArrayContent(big) { Headers = { { "Content-Type", "application/json" } } });
        var chunked = new StreamContent(new NonSeekableStream(big));
        chunked.Headers.ContentType = new("application/json");
        var withoutLength = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests", chunked);

        foreach (var response in new[] { withLength, withoutLength })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("at most", (await response.JsonAsync()).GetProperty("detail").GetString());
        }

        Assert.Equal(before, await CountsAsync());
    }

    [Theory]
    [InlineData("""{"imageTag":5}""", "imageTag", "imageTag: expected a string")]
    [InlineData("""{"imageTag":"v1","replicas":"2"}""", "replicas", "replicas: expected a whole number")]
    [InlineData("""{"imageTag":"v1","autoscaling":{"minReplicas":"one"}}""", "autoscaling.minReplicas", "autoscaling.minReplicas: expected a whole number")]
    [InlineData("""{"imageTag":"v1","setEnv":["A"]}""", "setEnv", "setEnv: expected an object of string values")]
    [InlineData("""{"imageTag":"v1","removeReadiness":"yes"}""", "removeReadiness", "removeReadiness: expected true or false")]
    [InlineData("""{"imageTag":"v1","imagetagg":"v2"}""", "imagetagg", "imagetagg: is not a field of this request")]
    public async Task JsonBindingErrorsNameTheField(string body, string field, string detail)
    {
        var before = await CountsAsync();

        var response = await SubmitAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task UnsupportedMediaTypeIsAnsweredWithAProblem()
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests", new StringContent("imageTag=v1", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("application/json", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/requests/1", false, HttpStatusCode.Unauthorized)]
    [InlineData("GET", "/api/no-such-thing", true, HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/api/requests/1", true, HttpStatusCode.MethodNotAllowed)]
    [InlineData("POST", "/api/services/payments/payments-api/environments/staging/requests", true, HttpStatusCode.BadRequest)]
    public async Task EveryApiErrorIsAProblem(string method, string path, bool withToken, HttpStatusCode expected)
    {
        var client = withToken ? await app.ClientAsync("dave") : new HttpClient { BaseAddress = app.BaseAddress };

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent("", Encoding.UTF8, "application/json") : null });

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace((await response.JsonAsync()).GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task ApiErrorsCarryNoStackTrace()
    {
        var alice = await app.ClientAsync("alice");
        var bodies = new[] { "{\"imageTag\": ", "{\"imageTag\":5}", "[]", "{\"replicas\":1e40}", "{\"setEnv\":{\"A\":{}}}", "" };

        foreach (var body in bodies)
        {
            var response = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("\"exception\"", text);
            Assert.DoesNotContain("   at ", text);
            Assert.DoesNotContain("Exception", text);
        }
    }

    [Fact]
    public void NoPortalPatternAcceptsATrailingNewline()
    {
        var patterns = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            .SelectMany(m => m.GetCustomAttributes(typeof(System.Text.RegularExpressions.GeneratedRegexAttribute), false).Cast<System.Text.RegularExpressions.GeneratedRegexAttribute>().Select(a => (m, a.Pattern)))
            .ToList();

        Assert.NotEmpty(patterns);
        Assert.All(patterns, p => Assert.False(p.Pattern.EndsWith('$'), $"{p.m.DeclaringType!.Name}.{p.m.Name} ends in '$': {p.Pattern}"));
    }

    private static StringContent Json(object body) => new(System.Text.Json.JsonSerializer.Serialize(body, PortalApi.Json), Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> SubmitAsync(string body)
    {
        var alice = await app.ClientAsync("alice");
        return await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests", new StringContent(body, Encoding.UTF8, "application/json"));
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response, string field, string message)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), errors.ToString());
        Assert.Contains(message, messages[0].GetString());
    }

    private Task<(int Requests, int Services, int Audit, int Secrets, int Decisions)> CountsAsync() => app.WithDbAsync(async db =>
        (await db.DeploymentRequests.CountAsync(), await db.Services.CountAsync(), await db.AuditEvents.CountAsync(e => e.Kind != Portal.Requests.AuditSubject.Token), await db.SecretValues.CountAsync(), await db.RequestDecisions.CountAsync()));

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
