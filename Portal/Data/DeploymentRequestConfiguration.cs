using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Requests;

namespace Portal.Data;

internal sealed class DeploymentRequestConfiguration : IEntityTypeConfiguration<DeploymentRequest>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<DeploymentRequest> request)
    {
        request.Property(r => r.Environment).HasMaxLength(63);
        request.Property(r => r.SpecHash).HasMaxLength(64);
        request.Property(r => r.ImageTag).HasMaxLength(128);
        request.Property(r => r.RequestedById).HasMaxLength(450);
        request.Property(r => r.RequestedBy).HasMaxLength(256);
        request.Property(r => r.Comment).HasMaxLength(RequestValidator.MaxCommentLength);
        request.Property(r => r.Version).IsConcurrencyToken();
        request.Ignore(r => r.IsOpen);
        request.Property(r => r.BreakGlassReason).HasMaxLength(RequestValidator.MaxCommentLength);

        // The spec is stored whole as JSON: it is immutable and always read whole. Being immutable, it changes only by
        // being replaced, so change detection compares references (not two JSON serializations at every save).
        request.Property(r => r.Spec)
            .HasConversion(spec => spec.ToJson(), json => RequestSpec.FromJson(json))
            .Metadata.SetValueComparer(new ValueComparer<RequestSpec>((a, b) => ReferenceEquals(a, b), spec => RuntimeHelpers.GetHashCode(spec), spec => spec));
        request.Property(r => r.SecretChanges)
            .HasConversion(
                changes => JsonSerializer.Serialize(changes, Json),
                json => JsonSerializer.Deserialize<List<SecretChange>>(json, Json) ?? new List<SecretChange>())
            .Metadata.SetValueComparer(new ValueComparer<List<SecretChange>>((a, b) => a!.SequenceEqual(b!), changes => changes.Count, changes => changes.ToList()));

        request.HasOne(r => r.Service).WithMany().HasForeignKey(r => r.ServiceId).OnDelete(DeleteBehavior.Restrict);
        request.HasMany(r => r.Decisions).WithOne().HasForeignKey(d => d.RequestId).OnDelete(DeleteBehavior.Cascade);
        request.HasIndex(r => new { r.ServiceId, r.Environment, r.Revision });
        request.HasIndex(r => new { r.State, r.CreatedAt });
        request.HasIndex(r => r.RequestedById);

        // Delivery metrics: each measure filters on its own time column, and time to restore looks up the next healthy one.
        request.HasIndex(r => r.HealthyAt);
        request.HasIndex(r => r.FailedAt);
        request.HasIndex(r => r.DecidedAt);
        request.HasIndex(r => new { r.ServiceId, r.Environment, r.HealthyAt });
    }
}
