using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Notifications;

namespace Portal.Data;

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> hook)
    {
        hook.Property(h => h.Url).HasMaxLength(TeamWebhooks.MaxUrlLength);
        hook.Property(h => h.Format).HasConversion<string>().HasMaxLength(16);
        hook.Property(h => h.CreatedBy).HasMaxLength(256);
        hook.Property(h => h.SecretCiphertext).HasMaxLength(1000);
        hook.Property(h => h.Events)
            .HasConversion(
                events => string.Join(',', events),
                text => text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<NotificationKind>).ToList())
            .HasMaxLength(400)
            .Metadata.SetValueComparer(new ValueComparer<List<NotificationKind>>((a, b) => a!.SequenceEqual(b!), events => events.Count, events => events.ToList()));
        hook.HasOne(h => h.Team).WithMany().HasForeignKey(h => h.TeamId).OnDelete(DeleteBehavior.Cascade);
        hook.HasIndex(h => h.TeamId);
    }
}
