using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Requests;

namespace Portal.Releases;

/// <summary>The request that last succeeded in the environment before the target: what a promotion copies.</summary>
public sealed record PromotionSource(DeploymentEnvironment From, int RequestId, int Revision, RequestSpec Spec);

/// <summary>A target's form pre-filled from the source, and the secret keys the source has that the target lacks.</summary>
public sealed record PromotionDraft(PromotionSource Source, RequestForm Form, IReadOnlyList<string> SecretsOnlyInSource);

/// <summary>Whether an image succeeded in the previous environment: a warning, or a refusal where the target requires promotion.</summary>
public sealed record PromotionCheck(bool Refused, string Message);

/// <summary>
/// Promotion: environments are ordered as configured, and each one is promoted to from the one before. A promotion
/// copies the whole spec with its exact digest, but secrets stay per environment: the target keeps its own secret
/// references (values are never copied across environments), and keys only the source has are named for the user.
/// </summary>
public sealed class Promotions(IDbContextFactory<PortalDbContext> dbFactory, IOptions<EnvironmentCatalog> environments)
{
    // The specs of a service's revisions in an environment: read by every review and submit to an environment with a previous one.
    private static readonly PerEngine<Func<PortalDbContext, int, string, IAsyncEnumerable<RequestSpec>>> Revisions = new(() =>
        EF.CompileAsyncQuery((PortalDbContext db, int serviceId, string environment) => db.DeploymentRequests.AsNoTracking()
            .Where(r => r.ServiceId == serviceId && r.Environment == environment && r.Revision != null)
            .Select(r => r.Spec)));

    public async Task<PromotionSource?> SourceAsync(int serviceId, string environment, CancellationToken cancellationToken = default)
    {
        if (environments.Value.Previous(environment) is not { } from)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var current = await RequestQueries.CurrentRevisionAsync(db, serviceId, from.Name);
        return current is null ? null : new PromotionSource(from, current.Id, current.Revision, current.Spec);
    }

    /// <summary>The form for <paramref name="draft"/>'s environment pre-filled from what last succeeded before it; Conflict when nothing did.</summary>
    public async Task<Outcome<PromotionDraft>> DraftAsync(RequestDraft draft, CancellationToken cancellationToken = default)
    {
        if (environments.Value.Previous(draft.Environment.Name) is not { } from)
        {
            return Outcome<PromotionDraft>.Conflict($"{draft.Environment.Name} is the first environment: there is nothing to promote from.");
        }

        var source = await SourceAsync(draft.Service.Id, draft.Environment.Name, cancellationToken);
        if (source is null)
        {
            return Outcome<PromotionDraft>.Conflict($"Nothing of {draft.Service.Name} has succeeded in {from.Name} yet: there is nothing to promote to {draft.Environment.Name}.");
        }

        var targetSecrets = draft.Current?.Spec.Secrets ?? [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ids = targetSecrets.Select(s => s.ValueId).ToList();
        var info = await db.SecretValues.AsNoTracking().Where(v => ids.Contains(v.Id)).ToDictionaryAsync(v => v.Id, v => new SecretValueInfo(v.Key, v.SetBy, v.SetAt), cancellationToken);
        var form = RequestForm.From(source.Spec with { Secrets = targetSecrets }, info);
        form.ImageDigest = source.Spec.ImageDigest;
        form.PromotedFromRequestId = source.RequestId;
        form.Comment = $"Promotion of revision {source.Revision} in {from.Name} (request #{source.RequestId}).";
        var targetKeys = targetSecrets.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var onlyInSource = source.Spec.Secrets.Select(s => s.Key).Where(k => !targetKeys.Contains(k)).ToList();
        return Outcome<PromotionDraft>.Ok(new PromotionDraft(source, form, onlyInSource));
    }

    /// <summary>
    /// Whether the image (by digest when known, else by tag) ever succeeded in the environment before
    /// <paramref name="environment"/>; null when it did or there is no such environment.
    /// </summary>
    public async Task<PromotionCheck?> CheckAsync(int serviceId, DeploymentEnvironment environment, string? digest, string tag, CancellationToken cancellationToken = default)
    {
        if (environments.Value.Previous(environment.Name) is not { } from)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var succeeded = await Revisions.For(db)(db, serviceId, from.Name).ToListAsync(cancellationToken);
        var image = digest is null ? $"tag {tag}" : $"{tag}@{ImagePinning.Short(digest)}";
        if (environment.RequirePromotion)
        {
            if (digest is null)
            {
                return new PromotionCheck(true, $"{environment.Name} accepts only images that succeeded in {from.Name}, and {image} has no digest to compare.");
            }

            return succeeded.Any(s => s.ImageDigest == digest)
                ? null
                : new PromotionCheck(true, $"{environment.Name} accepts only images that succeeded in {from.Name}: {image} never did.");
        }

        var known = digest is null ? succeeded.Any(s => s.ImageTag == tag) : succeeded.Any(s => s.ImageDigest == digest);
        return known ? null : new PromotionCheck(false, $"{image} never succeeded in {from.Name}.");
    }

    /// <summary>Whether <paramref name="requestId"/> succeeded in the environment before the target with the same image as <paramref name="spec"/>.</summary>
    public async Task<bool> IsSourceAsync(int requestId, int serviceId, DeploymentEnvironment environment, RequestSpec spec, CancellationToken cancellationToken = default)
    {
        if (environments.Value.Previous(environment.Name) is not { } from)
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var source = await db.DeploymentRequests.AsNoTracking()
            .Where(r => r.Id == requestId && r.ServiceId == serviceId && r.Environment == from.Name && r.Revision != null)
            .Select(r => r.Spec)
            .SingleOrDefaultAsync(cancellationToken);
        return source is not null && source.ImageDigest == spec.ImageDigest && source.ImageTag == spec.ImageTag;
    }
}
