using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Requests;

namespace Portal.Data;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> audit)
    {
        audit.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        audit.Property(e => e.Subject).HasMaxLength(256);
        audit.Property(e => e.Action).HasMaxLength(32);
        audit.Property(e => e.Actor).HasMaxLength(256);
        audit.Property(e => e.Comment).HasMaxLength(2000);
        audit.HasIndex(e => e.RequestId);
        audit.HasIndex(e => e.ServiceId);
        audit.HasIndex(e => new { e.TeamId, e.At });
        audit.HasIndex(e => e.At);
    }
}
