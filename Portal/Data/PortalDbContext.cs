using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Identity;
using Portal.Notifications;
using Portal.Requests;
using Portal.Rollouts;

namespace Portal.Data;

/// <summary>
/// The portal's model, the same on every database engine. Each engine has its own derived context
/// (<see cref="SqlitePortalDbContext"/>, <see cref="PostgresPortalDbContext"/>) with its own migrations and whatever that
/// engine needs; the rest of the portal only ever sees this type.
/// </summary>
public abstract class PortalDbContext(DbContextOptions options) : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    public DbSet<Team> Teams => Set<Team>();

    public DbSet<TeamMember> TeamMembers => Set<TeamMember>();

    public DbSet<Service> Services => Set<Service>();

    public DbSet<DeploymentRequest> DeploymentRequests => Set<DeploymentRequest>();

    public DbSet<RequestDecision> RequestDecisions => Set<RequestDecision>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<SecretValue> SecretValues => Set<SecretValue>();

    public DbSet<PersonalAccessToken> PersonalAccessTokens => Set<PersonalAccessToken>();

    public DbSet<RolloutRecord> RolloutRecords => Set<RolloutRecord>();

    /// <summary>Data Protection keys shared by every instance when <c>DataProtection:Store</c> is <c>Database</c>.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>True when the save failed because a unique index refused a duplicate (two people registered the same name).</summary>
    public abstract bool IsUniqueViolation(DbUpdateException exception);

    /// <summary>A time as the engine stores it, so as a later read returns it (PostgreSQL keeps whole microseconds).</summary>
    public virtual DateTimeOffset AsStored(DateTimeOffset value) => value.AddTicks(-(value.Ticks % TimeSpan.TicksPerMicrosecond));

    /// <summary>Runs once at start-up after the migrations: settings the engine keeps in the database itself.</summary>
    public virtual Task AfterMigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public DbSet<Releases.FreezeWindow> FreezeWindows => Set<Releases.FreezeWindow>();

    public DbSet<NotificationEvent> NotificationEvents => Set<NotificationEvent>();

    public DbSet<Webhook> Webhooks => Set<Webhook>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public DbSet<NotificationRead> NotificationReads => Set<NotificationRead>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<TeamRole>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<RequestState>().HaveConversion<string>().HaveMaxLength(24);
        configurationBuilder.Properties<DecisionKind>().HaveConversion<string>().HaveMaxLength(16);
    }
}
