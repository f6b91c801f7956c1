using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

/// <summary>Every field's bad input through the real HTTP API: refused with the field named, nothing stored.</summary>
public sealed class RequestValidationApiTests(PortalApp app) : IClassFixture<PortalApp>
{
    public static TheoryData<string, string, string> BadInputs => new()
    {
        { """{"imageTag":""}""", "ImageTag", "Pick an image tag." },
        { """{"imageTag":"-bad"}""", "ImageTag", "An image tag is up to 128" },
        { """{"imageTag":"v1","replicas":11}""", "Replicas", "between 0 and 10 in staging" },
        { """{"imageTag":"v1","replicas":-1}""", "Replicas", "between 0 and 10" },
        { """{"imageTag":"v1","autoscaling":{"minReplicas":5,"maxReplicas":3}}""", "MaxReplicas", "must be at least the minimum (5)" },
        { """{"imageTag":"v1","autoscaling":{"minReplicas":0,"maxReplicas":3}}""", "MinReplicas", "between 1 and 10" },
        { """{"imageTag":"v1","autoscaling":{"minReplicas":1,"maxReplicas":30}}""", "MaxReplicas", "between 1 and 10" },
        { """{"imageTag":"v1","autoscaling":{"minReplicas":1,"maxReplicas":3,"cpuTargetPercent":0}}""", "CpuTargetPercent", "between 1 and 100" },
        { """{"imageTag":"v1","autoscaling":{"minReplicas":1,"maxReplicas":3,"cpuTargetPercent":101}}""", "CpuTargetPercent", "between 1 and 100" },
        { """{"imageTag":"v1","autoscaling":{"minReplicas":1,"maxReplicas":3,"memoryTargetPercent":150}}""", "MemoryTargetPercent", "between 1 and 100" },
        { """{"imageTag":"v1","resources":{"cpuRequest":"lots"}}""", "CpuRequest", "positive Kubernetes quantity" },
        { """{"imageTag":"v1","resources":{"cpuLimit":"-1"}}""", "CpuLimit", "positive Kubernetes quantity" },
        { """{"imageTag":"v1","resources":{"memoryRequest":"512MB"}}""", "MemoryRequest", "positive Kubernetes quantity" },
        { """{"imageTag":"v1","resources":{"memoryLimit":""}}""", "MemoryLimit", "Memory limit is required" },
        { """{"imageTag":"v1","resources":{"cpuRequest":"2","cpuLimit":"1"}}""", "CpuRequest", "must not be above the limit (1)" },
        { """{"imageTag":"v1","resources":{"memoryRequest":"2Gi","memoryLimit":"1Gi"}}""", "MemoryRequest", "must not be above the limit (1Gi)" },
        { """{"imageTag":"v1","setEnv":{"1BAD":"x"}}""", "EnvVars[0].Name", "not a valid variable name" },
        { """{"imageTag":"v1","setEnv":{"MY VAR":"x"}}""", "EnvVars[0].Name", "not a valid variable name" },
        { """{"imageTag":"v1","setSecrets":{"bad key":"x"}}""", "Secrets[0].Key", "not a valid secret key" },
        { """{"imageTag":"v1","setSecrets":{"EMPTY":""}}""", "Secrets[0].NewValue", "Give a value for the new secret EMPTY" },
        { """{"imageTag":"v1","setSecrets":{"DB":"x"},"setEnv":{"DB":"y"}}""", "EnvVars[0].Name", "also a secret key" },
        { """{"imageTag":"v1","readiness":{"path":"healthz"}}""", "ReadinessPath", "must start with '/'" },
        { """{"imageTag":"v1","readiness":{"path":"/healthz","port":0}}""", "ReadinessPort", "between 1 and 65535" },
        { """{"imageTag":"v1","liveness":{"path":"/live","initialDelaySeconds":-5}}""", "LivenessInitialDelaySeconds", "between 0 and 3600" },
        { """{"imageTag":"v1","containerPort":70000}""", "ContainerPort", "between 1 and 65535" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputIsRefusedWithTheFieldNamedAndNothingStored(string body, string field, string message)
    {
        var alice = await app.ClientAsync("alice");
        var before = await CountsAsync();

        var response = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for {field}: {errors}");
        Assert.Contains(message, messages[0].GetString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task SecretsAboveOneMebibyteInTotalAreRefused()
    {
        var alice = await app.ClientAsync("alice");
        var big = new string('x', 600 * 1024);

        var response = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", setSecrets = new Dictionary<string, string> { ["A"] = big, ["B"] = big } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 1 MiB", (await response.JsonAsync()).GetProperty("errors").GetProperty("Secrets")[0].GetString());
    }

    [Fact]
    public async Task MalformedJsonIsABadRequestNotAServerError()
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests",
            new StringContent("{\"imageTag\": ", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private Task<(int Requests, int Secrets, int Audit)> CountsAsync() => app.WithDbAsync(async db =>
        (await db.DeploymentRequests.CountAsync(), await db.SecretValues.CountAsync(), await db.AuditEvents.CountAsync()));
}
