using System.Data.Common;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Requests;

/// <summary>A revision that lands while an API submit is under way (a rollout finishing) is built on, not a conflict.</summary>
public sealed class SubmitRaceTests : IAsyncLifetime
{
    private readonly RevisionLandsDuringTheSubmit race = new();
    private PortalApp app = null!;

    public async Task InitializeAsync()
    {
        app = new PortalApp().WithServices(services => services.ConfigureDbContext<SqlitePortalDbContext>(options => options.AddInterceptors(race)));
        await app.InitializeAsync();
        race.App = app;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task AnApiSubmitGoesOnTopOfARevisionThatLandedWhileItWasUnderWay()
    {
        var service = await app.RegisterServiceAsync("raced-revision");
        var alice = await app.ClientAsync("alice");
        var first = await (await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v1" })).SubmittedIdAsync();
        await app.WaitForStateAsync(first, RequestState.Succeeded, TimeSpan.FromSeconds(60));

        race.Armed = true;
        var response = await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v2", comment = "raced" });

        Assert.True(race.Landed, "The race was not staged: no revision landed during the submit.");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = await response.SubmittedIdAsync();
        Assert.Equal(2, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.BaseRevision).SingleAsync()));
    }

    /// <summary>Once armed: when the submit reads the freeze windows (after its draft), revision 2 lands, as a rollout finishing would make it.</summary>
    private sealed class RevisionLandsDuringTheSubmit : DbCommandInterceptor
    {
        public PortalApp? App { get; set; }

        public bool Armed { get; set; }

        public bool Landed { get; private set; }

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Armed && !Landed && command.CommandText.Contains("\"FreezeWindows\"", StringComparison.Ordinal))
            {
                Landed = true;
                await App!.WithDbAsync(async db =>
                {
                    var revisionOne = await db.DeploymentRequests.AsNoTracking().Include(r => r.Service).SingleAsync(r => r.Service.Name == "raced-revision" && r.Revision == 1, cancellationToken);
                    db.DeploymentRequests.Add(new DeploymentRequest
                    {
                        ServiceId = revisionOne.ServiceId, Environment = revisionOne.Environment, State = RequestState.Succeeded, Spec = revisionOne.Spec, SpecHash = revisionOne.SpecHash,
                        ImageTag = revisionOne.ImageTag, BaseRevision = 1, Revision = 2, RequestedById = revisionOne.RequestedById, RequestedBy = "someone-else",
                        CreatedAt = revisionOne.CreatedAt, UpdatedAt = revisionOne.UpdatedAt,
                    });
                    return await db.SaveChangesAsync(cancellationToken);
                });
            }

            return result;
        }
    }
}
