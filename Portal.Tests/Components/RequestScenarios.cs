using Portal.Catalog;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>Requests made through the real services, for tests that need one to look at.</summary>
public static class RequestScenarios
{
    public static async Task<Service> RegisterServiceAsync(this PortalApp app, string name, string team = "payments", string user = "alice")
    {
        var outcome = await app.Get<ServiceCatalog>().RegisterAsync(await app.PrincipalAsync(user), new ServiceForm
        {
            Name = name,
            Team = team,
            ImageRepository = $"registry.example.com/{team}/{name}",
            ContainerPort = 8080,
        });
        Assert.True(outcome.Succeeded, outcome.Message);
        return outcome.Value!;
    }

    public static async Task<DeploymentRequest> SubmitRequestAsync(this PortalApp app, string user, string service, string environment, Action<RequestForm> change, string team = "payments")
    {
        var principal = await app.PrincipalAsync(user);
        var requests = app.Get<RequestService>();
        var draft = await requests.DraftAsync(principal, team, service, environment);
        Assert.True(draft.Succeeded, draft.Message);
        change(draft.Value!.Form);
        var outcome = await requests.SubmitAsync(principal, draft.Value, draft.Value.Form);
        Assert.True(outcome.Succeeded, $"{outcome.Message} {string.Join("; ", outcome.FieldErrors.SelectMany(e => e.Value))}");
        return outcome.Value!;
    }

    /// <summary>Waits while the apply worker applies an approved request to the embedded Sandbox and the rollout succeeds.</summary>
    public static Task MarkDeployedAsync(this PortalApp app, int requestId) => app.WaitForStateAsync(requestId, RequestState.Succeeded);
}
