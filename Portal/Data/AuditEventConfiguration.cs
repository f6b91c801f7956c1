using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Requests;

namespace Portal.Data;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> audit)
    {
        audit.Property(e => e.Actor).HasMaxLength(256);
        audit.Property(e => e.Comment).HasMaxLength(2000);
        audit.HasIndex(e => e.RequestId);
        audit.HasIndex(e => e.ServiceId);
    }
}
