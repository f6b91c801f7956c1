using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Notifications;

namespace Portal.Data;

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> delivery)
    {
        delivery.Property(d => d.State).HasConversion<string>().HasMaxLength(16);
        delivery.Property(d => d.LeaseOwner).HasMaxLength(200);
        delivery.Property(d => d.LastError).HasMaxLength(500);
        delivery.HasOne<Webhook>().WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
        delivery.HasOne(d => d.Event).WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade);

        // One delivery per hook and event, whichever dispatcher fans it out: the database refuses a second.
        delivery.HasIndex(d => new { d.WebhookId, d.EventId }).IsUnique();
        delivery.HasIndex(d => new { d.State, d.NextAttemptAt });
    }
}
