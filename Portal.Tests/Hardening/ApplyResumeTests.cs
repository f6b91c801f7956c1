using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hardening;

public sealed class ApplyResumeTests
{
    [Fact]
    public async Task ResumedApplyOfARemovedEnvironmentEndsFailedAndTheHostKeepsWorking()
    {
        var data = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("n"));
        int stranded;
        await using (var first = PortalApp.Reusing(data))
        {
            await first.InitializeAsync();
            await first.RegisterServiceAsync("resumed-api");
            var waiting = await first.SubmitRequestAsync("alice", "resumed-api", "production", form => form.ImageTag = "v1");
            stranded = waiting.Id;
            // As if the process died while applying to an environment that was then removed from configuration.
            await first.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == stranded)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RequestState.Applying).SetProperty(r => r.Environment, "retired")));
        }

        try
        {
            await using var second = PortalApp.Reusing(data);
            await second.InitializeAsync();

            await second.WaitForStateAsync(stranded, RequestState.Failed);
            var reason = await second.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == stranded && e.To == RequestState.Failed).Select(e => e.Comment).SingleAsync());
            Assert.Contains("'retired', which is no longer configured", reason);
            Assert.Equal(HttpStatusCode.OK, (await new HttpClient { BaseAddress = second.BaseAddress }.GetAsync("/healthz")).StatusCode);
            var next = await second.SubmitRequestAsync("alice", "resumed-api", "staging", form => form.ImageTag = "v2");
            await second.WaitForStateAsync(next.Id, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
