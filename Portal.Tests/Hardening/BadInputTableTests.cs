using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hardening;

/// <summary>
/// Bad input through the real API, generated from tables (field x bad value): each case must be answered with a 4xx
/// ProblemDetails naming the field, write no row, and (checked over the whole run) put nothing in the cluster.
/// </summary>
public sealed class BadInputTableTests(PortalApp app) : IClassFixture<PortalApp>
{
    private const string Service = "bad-input-api";
    private const string Hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <param name="Path">The API path, relative to the service's environment or a request.</param>
    /// <param name="Field">The field the answer must name (an <c>errors</c> key, compared ignoring case).</param>
    public sealed record Case(string Name, string Path, string Body, string Field, string Environment = "staging");

    private static readonly string[] BadNames =
    [
        "FOO\n", "FOO\r\n", "\nFOO", "FOO ", " FOO", "MY VAR", "1BAD", "9", "A=B", "A:B", "A/B", "A\\B", "A$", "A@B", "A#", "A+B", "A,B", "A;B",
        "A\tB", "A\u0000B", "ÄPFEL", "日本", "é", "A\u00a0B", "\u200bA", ".", "..", "..x", "..A_B", new string('A', 254), new string('A', 300),
        new string('B', 4096), "A*", "A?", "A'B", "A\"B", "A(B)", "A[0]", "A{B}", "A|B", "A~B", "A`B", "A!B", "A%B", "A^B", "A&B", "A<B>",
    ];

    private static readonly string[] BadTags =
    [
        "", "-bad", ".bad", "v1\n", "v1\r\n", "\nv1", "v1 ", " v1", "v 1", "v1:2", "v1@sha256", "v1/2", "v1\t", "ü", "v1+build", "v1!", "v1#",
        new string('a', 129), new string('a', 1000), "v1\u0000", "日本", "v1,v2", "v1;rm", "$(id)", "v1\\2", "v1*", "v1?", "v1%",
    ];

    private static readonly string[] BadDigests =
    [
        $"sha256:{Hex64}\n", $"sha256:{Hex64} ", $" sha256:{Hex64}", $"sha256:{Hex64[..63]}", $"sha256:{Hex64}0", $"sha256:{Hex64.ToUpperInvariant()}",
        $"sha512:{Hex64}{Hex64}", $"SHA256:{Hex64}", "sha256:", "sha256", $"sha256;{Hex64}", $"sha256:{new string('g', 64)}", $"md5:{Hex64[..32]}",
        $"sha256:{Hex64}\r\n", $"sha256:\n{Hex64}", Hex64, "latest",
    ];

    private static readonly string[] BadQuantities =
    [
        "", "lots", "-1", "0", "0m", "1.2.3", "1e", "Mi", "512MB", "1 Gi", "1,5", "١٢", "NaN", "Infinity", "1Ki1", "m1", "0x10", "--1", "1/2", "1_000",
    ];

    private static readonly string[] BadPaths = ["", "healthz", "/a b", "/a\tb", "/a\nb", "/" + new string('p', 1024), " /x", "/x "];

    public static IEnumerable<Case> Cases()
    {
        const string submit = "requests";
        foreach (var environment in new[] { "staging", "production" })
        {
            foreach (var name in BadNames)
            {
                yield return new($"{environment}: env name {Show(name)}", submit, Body(new { imageTag = "v1", setEnv = new Dictionary<string, string> { [name] = "x" } }), "EnvVars[0].Name", environment);
                yield return new($"{environment}: secret key {Show(name)}", submit, Body(new { imageTag = "v1", setSecrets = new Dictionary<string, string> { [name] = "x" } }), "Secrets[0].Key", environment);
            }

            foreach (var tag in BadTags)
            {
                yield return new($"{environment}: image tag {Show(tag)}", submit, Body(new { imageTag = tag }), "ImageTag", environment);
            }
        }

        // The bad name after good ones: the error names the row it is in.
        foreach (var name in BadNames.Take(20))
        {
            yield return new($"third env name {Show(name)}", submit, Body(new { imageTag = "v1", setEnv = new Dictionary<string, string> { ["GOOD_1"] = "a", ["good.2"] = "b", [name] = "x" } }), "EnvVars[2].Name");
        }

        foreach (var digest in BadDigests)
        {
            yield return new($"image digest {Show(digest)}", submit, Body(new { imageTag = "v1", imageDigest = digest }), "ImageDigest");
        }

        foreach (var quantity in BadQuantities)
        {
            yield return new($"cpu request {Show(quantity)}", submit, Body(new { imageTag = "v1", resources = new { cpuRequest = quantity } }), "CpuRequest");
            yield return new($"cpu limit {Show(quantity)}", submit, Body(new { imageTag = "v1", resources = new { cpuLimit = quantity } }), "CpuLimit");
            yield return new($"memory request {Show(quantity)}", submit, Body(new { imageTag = "v1", resources = new { memoryRequest = quantity } }), "MemoryRequest");
            yield return new($"memory limit {Show(quantity)}", submit, Body(new { imageTag = "v1", resources = new { memoryLimit = quantity } }), "MemoryLimit");
        }

        foreach (var replicas in new[] { -1, -100, 11, 1000, int.MaxValue, int.MinValue })
        {
            yield return new($"replicas {replicas}", submit, Body(new { imageTag = "v1", replicas }), "Replicas");
        }

        foreach (var (min, max, field) in new[] { (0, 3, "MinReplicas"), (-1, 3, "MinReplicas"), (11, 11, "MinReplicas"), (1, 0, "MaxReplicas"), (1, 11, "MaxReplicas"), (5, 3, "MaxReplicas"), (1, int.MaxValue, "MaxReplicas") })
        {
            yield return new($"autoscaling {min}..{max}", submit, Body(new { imageTag = "v1", autoscaling = new { minReplicas = min, maxReplicas = max } }), field);
        }

        foreach (var percent in new[] { 0, -1, 101, 1000 })
        {
            yield return new($"cpu target {percent}", submit, Body(new { imageTag = "v1", autoscaling = new { minReplicas = 1, maxReplicas = 3, cpuTargetPercent = percent } }), "CpuTargetPercent");
            yield return new($"memory target {percent}", submit, Body(new { imageTag = "v1", autoscaling = new { minReplicas = 1, maxReplicas = 3, memoryTargetPercent = percent } }), "MemoryTargetPercent");
        }

        foreach (var probe in new[] { "readiness", "liveness" })
        {
            var prefix = probe == "readiness" ? "Readiness" : "Liveness";
            foreach (var path in BadPaths)
            {
                yield return new($"{probe} path {Show(path)}", submit, Body(new Dictionary<string, object> { ["imageTag"] = "v1", [probe] = new { path } }), $"{prefix}Path");
            }

            foreach (var port in new[] { 0, -1, 65536, 100000 })
            {
                yield return new($"{probe} port {port}", submit, Body(new Dictionary<string, object> { ["imageTag"] = "v1", [probe] = new { path = "/healthz", port } }), $"{prefix}Port");
            }

            foreach (var delay in new[] { -1, 3601, int.MaxValue })
            {
                yield return new($"{probe} delay {delay}", submit, Body(new Dictionary<string, object> { ["imageTag"] = "v1", [probe] = new { path = "/healthz", initialDelaySeconds = delay } }), $"{prefix}InitialDelaySeconds");
            }
        }

        foreach (var host in new[] { "", "Shop.example.com", "shop..example.com", "a.*.example.com", "10.0.0.1", "shop.example.com\n", "*", new string('a', 254) })
        {
            yield return new($"ingress host {Show(host)}", submit, Body(new { imageTag = "v1", ingress = new { host } }), "IngressHost");
        }

        yield return new("ingress path without /", submit, Body(new { imageTag = "v1", ingress = new { host = "shop.example.com", path = "api" } }), "IngressPath");
        yield return new("ingress issuer without a TLS secret", submit, Body(new { imageTag = "v1", ingress = new { host = "shop.example.com", clusterIssuer = "letsencrypt" } }), "IngressTlsSecretName");
        yield return new("ingress path type unknown", submit, Body(new { imageTag = "v1", ingress = new { host = "shop.example.com", pathType = "Regex" } }), "ingress.pathType");
        foreach (var (surge, unavailable, field) in new[] { ("0", "0", "MaxUnavailable"), ("0%", "0%", "MaxUnavailable"), ("x", "1", "MaxSurge"), ("1", "101%", "MaxUnavailable"), ("-1", "1", "MaxSurge") })
        {
            yield return new($"strategy surge {surge} unavailable {unavailable}", submit, Body(new { imageTag = "v1", strategy = new { maxSurge = surge, maxUnavailable = unavailable } }), field);
        }

        foreach (var value in new[] { "", "-1", "150%", "half" })
        {
            yield return new($"disruption budget {Show(value)}", submit, Body(new { imageTag = "v1", disruptionBudget = new { minAvailable = value } }), "DisruptionBudgetValue");
        }

        yield return new("startup exec without a command", submit, Body(new { imageTag = "v1", startup = new { type = "Exec" } }), "StartupCommand");
        yield return new("startup period 0", submit, Body(new { imageTag = "v1", startup = new { path = "/healthz", periodSeconds = 0 } }), "StartupPeriodSeconds");
        yield return new("liveness success threshold 2", submit, Body(new { imageTag = "v1", liveness = new { type = "Tcp", successThreshold = 2 } }), "LivenessSuccessThreshold");
        yield return new("readiness tcp port 0", submit, Body(new { imageTag = "v1", readiness = new { type = "Tcp", port = 0 } }), "ReadinessPort");
        yield return new("readiness timeout 0", submit, Body(new { imageTag = "v1", readiness = new { path = "/healthz", timeoutSeconds = 0 } }), "ReadinessTimeoutSeconds");

        foreach (var port in new[] { 0, -1, 65536, 100000, int.MinValue })
        {
            yield return new($"container port {port}", submit, Body(new { imageTag = "v1", containerPort = port }), "ContainerPort");
        }

        foreach (var length in new[] { 1001, 5000, 100_000 })
        {
            yield return new($"comment of {length}", submit, Body(new { imageTag = "v1", comment = new string('c', length) }), "Comment");
        }

        yield return new("env value above 32 KiB", submit, Body(new { imageTag = "v1", setEnv = new Dictionary<string, string> { ["BIG"] = new string('v', 33 * 1024) } }), "EnvVars[0].Value");
        yield return new("new secret without a value", submit, Body(new { imageTag = "v1", setSecrets = new Dictionary<string, string> { ["EMPTY"] = "" } }), "Secrets[0].NewValue");
        yield return new("env name that is also a secret key", submit, Body(new { imageTag = "v1", setEnv = new Dictionary<string, string> { ["DB"] = "x" }, setSecrets = new Dictionary<string, string> { ["DB"] = "y" } }), "EnvVars[0].Name");

        // JSON of the wrong shape, field by field: the answer names the field as the JSON has it.
        var wrongTypes = new (string Field, string[] Values)[]
        {
            ("imageTag", ["1", "true", "[]", "{}", "1.5"]),
            ("imageDigest", ["1", "false", "[]", "{}"]),
            ("replicas", ["\"2\"", "2.5", "true", "[]", "{}", "1e40", "\"\""]),
            ("autoscaling", ["\"x\"", "1", "[]", "true"]),
            ("resources", ["\"x\"", "1", "[]", "false"]),
            ("setEnv", ["\"x\"", "[]", "1", "true"]),
            ("removeEnv", ["\"x\"", "{}", "1", "[1]", "[{}]"]),
            ("setSecrets", ["\"x\"", "[]", "1", "true"]),
            ("removeSecrets", ["\"x\"", "{}", "1", "[true]"]),
            ("readiness", ["\"x\"", "1", "[]", "true"]),
            ("liveness", ["\"x\"", "1", "[]", "true"]),
            ("removeReadiness", ["\"yes\"", "1", "[]", "{}"]),
            ("removeLiveness", ["\"no\"", "0", "[]", "{}"]),
            ("containerPort", ["\"80\"", "80.5", "true", "[]", "{}", "99999999999"]),
            ("comment", ["1", "true", "[]", "{}"]),
        };
        foreach (var (field, values) in wrongTypes)
        {
            foreach (var value in values)
            {
                yield return new($"{field} = {value}", submit, $$"""{"imageTag":"v1","{{field}}":{{value}}}""".Replace("\"imageTag\":\"v1\",\"imageTag\"", "\"imageTag\"", StringComparison.Ordinal), field);
            }
        }

        var nested = new (string Field, string Json)[]
        {
            ("autoscaling.minReplicas", """{"autoscaling":{"minReplicas":"1","maxReplicas":3}}"""),
            ("autoscaling.maxReplicas", """{"autoscaling":{"minReplicas":1,"maxReplicas":[3]}}"""),
            ("autoscaling.cpuTargetPercent", """{"autoscaling":{"minReplicas":1,"maxReplicas":3,"cpuTargetPercent":"70"}}"""),
            ("autoscaling.memoryTargetPercent", """{"autoscaling":{"minReplicas":1,"maxReplicas":3,"memoryTargetPercent":true}}"""),
            ("resources.cpuRequest", """{"resources":{"cpuRequest":1}}"""),
            ("resources.cpuLimit", """{"resources":{"cpuLimit":{}}}"""),
            ("resources.memoryRequest", """{"resources":{"memoryRequest":[]}}"""),
            ("resources.memoryLimit", """{"resources":{"memoryLimit":false}}"""),
            ("readiness.path", """{"readiness":{"path":1}}"""),
            ("readiness.port", """{"readiness":{"path":"/x","port":"80"}}"""),
            ("readiness.initialDelaySeconds", """{"readiness":{"path":"/x","initialDelaySeconds":"5"}}"""),
            ("liveness.path", """{"liveness":{"path":[]}}"""),
            ("liveness.port", """{"liveness":{"path":"/x","port":1.5}}"""),
            ("setEnv.A", """{"setEnv":{"A":1}}"""),
            ("setEnv.A", """{"setEnv":{"A":{}}}"""),
            ("setSecrets.A", """{"setSecrets":{"A":true}}"""),
            ("setSecrets.A", """{"setSecrets":{"A":[]}}"""),
            ("autoscaling.minimum", """{"autoscaling":{"minimum":1}}"""),
            ("resources.cpu", """{"resources":{"cpu":"1"}}"""),
            ("readiness.pathh", """{"readiness":{"pathh":"/x"}}"""),
        };
        foreach (var (field, json) in nested)
        {
            yield return new($"{field} in {json}", submit, json, field);
        }

        foreach (var unknown in new[] { "imagetagg", "image", "replica", "env", "secrets", "foo", "tag", "digest", "probe", "port" })
        {
            yield return new($"unknown field {unknown}", submit, $$"""{"imageTag":"v1","{{unknown}}":"x"}""", unknown);
        }

        // Decisions and rollback: one free-text limit, and the JSON's shape.
        foreach (var verb in new[] { "approve", "reject", "cancel" })
        {
            foreach (var length in new[] { 1001, 10_000, 1_000_000 })
            {
                yield return new($"{verb} comment of {length}", $"#{verb}", Body(new { comment = new string('c', length) }), "Comment");
            }

            foreach (var value in new[] { "1", "true", "[]", "{}" })
            {
                yield return new($"{verb} comment = {value}", $"#{verb}", $$"""{"comment":{{value}}}""", "comment");
            }

            yield return new($"{verb} with unknown field", $"#{verb}", """{"comments":"x"}""", "comments");
        }

        foreach (var length in new[] { 1001, 10_000, 1_000_000 })
        {
            yield return new($"rollback comment of {length}", "rollback", Body(new { revision = 1, comment = new string('c', length) }), "Comment");
        }

        foreach (var value in new[] { "\"1\"", "1.5", "true", "[]", "{}", "99999999999" })
        {
            yield return new($"rollback revision = {value}", "rollback", $$"""{"revision":{{value}}}""", "revision");
        }
    }

    [Fact]
    public async Task EveryBadInputIsRefusedWithTheFieldNamedAndNothingStoredOrApplied()
    {
        var cases = Cases().ToList();
        Assert.True(cases.Count >= 500, $"only {cases.Count} cases");
        await app.RegisterServiceAsync(Service);
        var waiting = await app.SubmitRequestAsync("alice", Service, "production", form => form.ImageTag = "v1");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var failures = new List<string>();

        foreach (var @case in cases)
        {
            var (client, url) = @case.Path switch
            {
                "#approve" or "#reject" => (bob, $"/api/requests/{waiting.Id}/{@case.Path[1..]}"),
                "#cancel" => (alice, $"/api/requests/{waiting.Id}/cancel"),
                var path => (alice, $"/api/services/payments/{Service}/environments/{@case.Environment}/{path}"),
            };
            var before = await CountsAsync();
            var response = await client.PostAsync(url, new StringContent(@case.Body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            if (Problem(@case, response, text) is { } problem)
            {
                failures.Add($"{@case.Name}: {problem}");
            }

            if (await CountsAsync() != before)
            {
                failures.Add($"{@case.Name}: a row was written");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join('\n', failures.Take(60)));
        Assert.Equal(Portal.Requests.RequestState.AwaitingApproval, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == waiting.Id).Select(r => r.State).SingleAsync()));
        Assert.Equal("", app.Kubectl($"get deployments,configmaps,secrets,services -A -l app.kubernetes.io/name={Service} -o name"));
    }

    private static string? Problem(Case @case, HttpResponseMessage response, string text)
    {
        if ((int)response.StatusCode is < 400 or >= 500)
        {
            return $"answered {(int)response.StatusCode}: {Shorten(text)}";
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"answered {response.Content.Headers.ContentType?.MediaType ?? "no body"}";
        }

        if (text.Contains("\"exception\"", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal))
        {
            return "the answer carries exception details";
        }

        using var json = JsonDocument.Parse(text);
        if (!json.RootElement.TryGetProperty("errors", out var errors) || !errors.EnumerateObject().Any(e => string.Equals(e.Name, @case.Field, StringComparison.OrdinalIgnoreCase) || e.Name.StartsWith(@case.Field + "[", StringComparison.OrdinalIgnoreCase)))
        {
            return $"no error for {@case.Field}: {Shorten(text)}";
        }

        return null;
    }

    private Task<(int Requests, int Services, int Audit, int Secrets, int Decisions, int Rollouts)> CountsAsync() => app.WithDbAsync(async db =>
        (await db.DeploymentRequests.CountAsync(), await db.Services.CountAsync(), await db.AuditEvents.CountAsync(), await db.SecretValues.CountAsync(),
            await db.RequestDecisions.CountAsync(), await db.RolloutRecords.CountAsync()));

    private static string Body(object value) => JsonSerializer.Serialize(value, PortalApi.Json);

    private static string Show(string value) => JsonSerializer.Serialize(value.Length > 30 ? value[..30] + $"...({value.Length})" : value);

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
