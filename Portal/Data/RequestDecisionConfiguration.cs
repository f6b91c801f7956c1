using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Requests;

namespace Portal.Data;

internal sealed class RequestDecisionConfiguration : IEntityTypeConfiguration<RequestDecision>
{
    public void Configure(EntityTypeBuilder<RequestDecision> decision)
    {
        decision.Property(d => d.DecidedById).HasMaxLength(450);
        decision.Property(d => d.DecidedBy).HasMaxLength(256);
        decision.Property(d => d.Comment).HasMaxLength(1000);
        decision.Property(d => d.SpecHash).HasMaxLength(64);
    }
}
