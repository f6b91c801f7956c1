using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Portal.Catalog;
using Portal.Data;
using Portal.Identity;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

/// <summary>Duplicates refused by a unique index are recognised through the database engine, on each engine.</summary>
public abstract class UniqueViolationTests : IAsyncLifetime
{
    private const string RacedName = "raced-api";
    private readonly RegisterFirst raceWinner = new();
    private PortalApp app = null!;

    protected abstract PortalDatabase Database { get; }

    public async Task InitializeAsync()
    {
        app = PortalApp.Create(Database).WithServices(services =>
        {
            services.ConfigureDbContext<SqlitePortalDbContext>(options => options.AddInterceptors(raceWinner));
            services.ConfigureDbContext<PostgresPortalDbContext>(options => options.AddInterceptors(raceWinner));
        });
        await app.InitializeAsync();
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task RegisteringANameSomeoneTookAMomentEarlierGivesTheFieldMessageNotAnError()
    {
        var alice = await app.PrincipalAsync("alice");
        var form = new ServiceForm { Name = RacedName, Team = "payments", ImageRepository = "ghcr.io/acme/raced-api" };

        var outcome = await app.Get<ServiceCatalog>().RegisterAsync(alice, form);

        Assert.True(raceWinner.Registered, "The race was not staged: the other registration did not happen first.");
        Assert.Equal(OutcomeKind.Invalid, outcome.Kind);
        Assert.Equal(["payments already has a service named 'raced-api'."], outcome.FieldErrors[nameof(ServiceForm.Name)]);
        Assert.Equal(1, await app.WithDbAsync(db => db.Services.CountAsync(s => s.Name == RacedName)));
    }

    [Fact]
    public async Task OnlyADuplicateCountsAsAUniqueViolation()
    {
        var duplicate = await SaveErrorAsync(db => db.Teams.Add(new Team { Name = "payments", CreatedAt = DateTimeOffset.UtcNow }));
        var missingTeam = await SaveErrorAsync(db => db.Services.Add(new Service { TeamId = 999_999, Name = "orphan", ImageRepository = "orphan", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow }));

        Assert.True(duplicate.IsUnique);
        Assert.False(missingTeam.IsUnique);
    }

    private async Task<(DbUpdateException Error, bool IsUnique)> SaveErrorAsync(Action<PortalDbContext> change) =>
        await app.WithDbAsync(async db =>
        {
            change(db);
            var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            return (error, db.IsUniqueViolation(error));
        });

    /// <summary>Just before the portal saves a new service named <see cref="RacedName"/>, registers the same name itself.</summary>
    private sealed class RegisterFirst : SaveChangesInterceptor
    {
        private int staged;

        public bool Registered { get; private set; }

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            var entry = eventData.Context!.ChangeTracker.Entries<Service>().FirstOrDefault(e => e.State == EntityState.Added && e.Entity.Name == RacedName);
            if (entry is not null && Interlocked.Exchange(ref staged, 1) == 0)
            {
                var options = eventData.Context.GetService<IDbContextOptions>();
                await using var other = (PortalDbContext)Activator.CreateInstance(eventData.Context.GetType(), options)!;
                var winner = entry.Entity;
                other.Services.Add(new Service { TeamId = winner.TeamId, Name = winner.Name, ImageRepository = winner.ImageRepository, CreatedAt = winner.CreatedAt, UpdatedAt = winner.UpdatedAt, CreatedBy = "someone-else" });
                await other.SaveChangesAsync(cancellationToken);
                Registered = true;
            }

            return result;
        }
    }
}

public sealed class UniqueViolationOnSqliteTests : UniqueViolationTests
{
    protected override PortalDatabase Database => PortalDatabase.Sqlite;
}

public sealed class UniqueViolationOnPostgresTests : UniqueViolationTests
{
    protected override PortalDatabase Database => PortalDatabase.Postgres;
}
