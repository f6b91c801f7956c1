using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Requests;
using Portal.Rollouts;

namespace Portal.Data;

internal sealed class RolloutRecordConfiguration : IEntityTypeConfiguration<RolloutRecord>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<RolloutRecord> record)
    {
        record.HasKey(r => r.RequestId);
        record.HasOne<DeploymentRequest>().WithOne().HasForeignKey<RolloutRecord>(r => r.RequestId).OnDelete(DeleteBehavior.Cascade);
        record.Property(r => r.Cluster).HasMaxLength(63);
        record.Property(r => r.Namespace).HasMaxLength(63);
        record.Property(r => r.LastError).HasMaxLength(2000);
        record.Property(r => r.LastSnapshot).HasConversion(
            snapshot => snapshot == null ? null : JsonSerializer.Serialize(snapshot, Json),
            json => json == null ? null : JsonSerializer.Deserialize<RolloutSnapshot>(json, Json));
        record.Property(r => r.Timeline)
            .HasConversion(timeline => JsonSerializer.Serialize(timeline, Json), json => JsonSerializer.Deserialize<List<TimelineEntry>>(json, Json) ?? new List<TimelineEntry>())
            .Metadata.SetValueComparer(new ValueComparer<List<TimelineEntry>>((a, b) => a!.SequenceEqual(b!), t => t.Count, t => t.ToList()));
    }
}
