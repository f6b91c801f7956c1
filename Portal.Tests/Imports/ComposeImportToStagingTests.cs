using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Imports;

/// <summary>
/// The end-to-end case: the three-service file imported with first deploys to staging, and the objects in the
/// Sandbox. The worker gets no Service object and the
/// database's named volume becomes a claim the Sandbox binds.
/// </summary>
public sealed class ComposeImportToStagingTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task TheThreeServicesOfTheFileRunInStagingWithTheirClaimAndWithoutAServiceForTheWorker()
    {
        var alice = await app.ClientAsync("alice");

        var response = await ComposeImportApiTests.PostComposeAsync(alice, "payments", ComposeSamples.ThreeServices("e2e"), "?confirmSecrets=true&environment=staging");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        foreach (var service in JsonDocument.Parse(text).RootElement.GetProperty("services").EnumerateArray())
        {
            await app.WaitForStateAsync(service.GetProperty("requestId").GetInt32(), RequestState.Succeeded, TimeSpan.FromSeconds(90));
        }

        var objects = app.Kubectl("get deploy,svc,pvc -n payments-staging -o name");
        Assert.Contains("deployment.apps/e2e-api", objects);
        Assert.Contains("deployment.apps/e2e-worker", objects);
        Assert.Contains("deployment.apps/e2e-db", objects);
        Assert.Contains("service/e2e-api", objects);
        Assert.Contains("service/e2e-db", objects);
        Assert.DoesNotContain("service/e2e-worker", objects);
        Assert.Contains("persistentvolumeclaim/e2e-db-db-data", objects);
        Assert.Equal("Bound", app.Kubectl("get pvc e2e-db-db-data -n payments-staging -o jsonpath={.status.phase}"));
        Assert.Contains("POSTGRES_PASSWORD", app.Kubectl("get secret e2e-db-secrets -n payments-staging -o jsonpath={.data}"));
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, text);
        Assert.DoesNotContain(ComposeSamples.DatabasePassword, app.Logs.All);
        Assert.Equal(3, await app.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name.StartsWith("e2e-") && r.Environment == "staging")));
    }
}
