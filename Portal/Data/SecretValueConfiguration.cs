using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Requests;

namespace Portal.Data;

internal sealed class SecretValueConfiguration : IEntityTypeConfiguration<SecretValue>
{
    public void Configure(EntityTypeBuilder<SecretValue> secret)
    {
        secret.Property(v => v.Environment).HasMaxLength(63);
        secret.Property(v => v.Key).HasMaxLength(253);
        secret.Property(v => v.SetBy).HasMaxLength(256);
        secret.HasOne<Catalog.Service>().WithMany().HasForeignKey(v => v.ServiceId).OnDelete(DeleteBehavior.Restrict);
        secret.HasIndex(v => new { v.ServiceId, v.Environment, v.Key });
    }
}
