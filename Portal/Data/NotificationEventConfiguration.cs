using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Notifications;

namespace Portal.Data;

internal sealed class NotificationEventConfiguration : IEntityTypeConfiguration<NotificationEvent>
{
    public void Configure(EntityTypeBuilder<NotificationEvent> e)
    {
        e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(24);
        e.Property(x => x.Environment).HasMaxLength(63);
        e.Property(x => x.Actor).HasMaxLength(256);
        e.Property(x => x.Comment).HasMaxLength(Notifications.Notifications.MaxCommentLength);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.HasOne(x => x.Team).WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne(x => x.Service).WithMany().HasForeignKey(x => x.ServiceId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne(x => x.Request).WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);

        // The dispatcher's "what is new" and the bell's "newest for these teams".
        e.HasIndex(x => x.FannedOut);
        e.HasIndex(x => new { x.ServiceId, x.Id });
        e.HasIndex(x => new { x.TeamId, x.Id });
    }
}
