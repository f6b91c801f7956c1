using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Releases;

namespace Portal.Data;

internal sealed class FreezeWindowConfiguration : IEntityTypeConfiguration<FreezeWindow>
{
    public void Configure(EntityTypeBuilder<FreezeWindow> window)
    {
        window.Property(w => w.Environment).HasMaxLength(63);
        window.Property(w => w.StartDay).HasConversion<string>().HasMaxLength(10);
        window.Property(w => w.EndDay).HasConversion<string>().HasMaxLength(10);
        window.Property(w => w.TimeZone).HasMaxLength(64);
        window.Property(w => w.Reason).HasMaxLength(500);
        window.Property(w => w.CreatedBy).HasMaxLength(256);
        window.Ignore(w => w.IsRecurring);
        window.HasIndex(w => w.Environment);
    }
}
