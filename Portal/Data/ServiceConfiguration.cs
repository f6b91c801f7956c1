using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Catalog;

namespace Portal.Data;

internal sealed class ServiceConfiguration : IEntityTypeConfiguration<Service>
{
    public void Configure(EntityTypeBuilder<Service> service)
    {
        service.Property(s => s.Name).HasMaxLength(63);
        service.Property(s => s.ImageRepository).HasMaxLength(255);
        service.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16).HasDefaultValue(ServiceKind.Web).HasSentinel(ServiceKind.Web);
        service.Property(s => s.Description).HasMaxLength(2000);
        service.Property(s => s.RepositoryUrl).HasMaxLength(500);
        service.Property(s => s.RunbookUrl).HasMaxLength(500);
        service.Property(s => s.Contacts).HasMaxLength(500);
        service.Property(s => s.CreatedBy).HasMaxLength(256);
        service.Ignore(s => s.IsArchived);
        service.HasOne(s => s.Team).WithMany().HasForeignKey(s => s.TeamId).OnDelete(DeleteBehavior.Restrict);
        service.HasIndex(s => new { s.TeamId, s.Name }).IsUnique();
        service.HasIndex(s => s.Name);
    }
}
