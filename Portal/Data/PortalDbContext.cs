using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Portal.Catalog;
using Portal.Identity;
using Portal.Requests;
using Portal.Rollouts;

namespace Portal.Data;

public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options)
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

    public DbSet<Releases.FreezeWindow> FreezeWindows => Set<Releases.FreezeWindow>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no native DateTimeOffset: stored as UTC ticks so that ORDER BY and comparisons run in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<TeamRole>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<RequestState>().HaveConversion<string>().HaveMaxLength(24);
        configurationBuilder.Properties<DecisionKind>().HaveConversion<string>().HaveMaxLength(16);
    }
}
