using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Cluster;
using Portal.Data;
using Portal.Identity;

namespace Portal.Rollouts;

/// <summary>A pod whose log a user may read: one of the service's pods, in the service's namespace.</summary>
public sealed record PodLogTarget(string Cluster, string Namespace, string Pod, string Container);

/// <summary>
/// Pod logs through the portal, under the rules of the service's pages: only the team's members (or an Admin), only pods of
/// that service in its environment's namespace. Bounded: the last <see cref="RolloutsOptions.PodLogTailLines"/> lines, then
/// followed live, and at most <see cref="RolloutsOptions.PodLogMaxBytes"/> in all.
/// </summary>
public sealed class PodLogs(
    IDbContextFactory<PortalDbContext> dbFactory,
    TeamAccess access,
    ClusterConnections connections,
    IOptions<EnvironmentCatalog> environments,
    IOptions<RolloutsOptions> options)
{
    /// <summary>The last line of a log cut at the byte cap.</summary>
    public static string CutLine(int maxBytes) => $"(log cut at {maxBytes / 1024} KiB: use kubectl for the rest)";

    /// <summary>Checks access and that <paramref name="pod"/> is a pod of the service; never says anything of another team's pods.</summary>
    public async Task<Outcome<PodLogTarget>> FindAsync(ClaimsPrincipal user, string team, string service, string environmentName, string pod, CancellationToken cancellationToken = default)
    {
        var (target, error) = await ServiceAsync(user, team, service, environmentName, cancellationToken);
        if (target is null)
        {
            return error!;
        }

        if (KubernetesNames.ValidateSubdomain(pod, "pod name") is { } nameError)
        {
            return Outcome<PodLogTarget>.Invalid("pod", nameError);
        }

        var client = await connections.ConnectAsync(target.Cluster);
        V1Pod found;
        try
        {
            found = await client.CoreV1.ReadNamespacedPodAsync(pod, target.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return Outcome<PodLogTarget>.NotFound($"{service} has no pod {pod} in {environmentName}.");
        }

        if (found.Metadata.Labels?.TryGetValue(ManifestBuilder.NameLabel, out var name) != true || name != service)
        {
            // A pod of another service in the team's namespace: the same answer as a missing one.
            return Outcome<PodLogTarget>.NotFound($"{service} has no pod {pod} in {environmentName}.");
        }

        return Outcome<PodLogTarget>.Ok(target with { Pod = pod });
    }

    /// <summary>The names of the service's pods in the environment, newest first.</summary>
    public async Task<Outcome<IReadOnlyList<string>>> PodsAsync(ClaimsPrincipal user, string team, string service, string environmentName, CancellationToken cancellationToken = default)
    {
        var (target, error) = await ServiceAsync(user, team, service, environmentName, cancellationToken);
        if (target is null)
        {
            return new Outcome<IReadOnlyList<string>>(error!.Kind, null, error.Message, error.FieldErrors);
        }

        var client = await connections.ConnectAsync(target.Cluster);
        var pods = await client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: $"{ManifestBuilder.NameLabel}={service}", cancellationToken: cancellationToken);
        return Outcome<IReadOnlyList<string>>.Ok([.. pods.Items.OrderByDescending(p => p.Metadata.CreationTimestamp).Select(p => p.Metadata.Name)]);
    }

    /// <summary>
    /// The log, line by line: the last lines, then (unless <paramref name="previous"/>) new lines as the pod writes them, until
    /// the container stops, the byte cap is reached (then <see cref="CutLine"/>) or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async IAsyncEnumerable<string> StreamAsync(PodLogTarget target, bool previous, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var client = await connections.ConnectAsync(target.Cluster);
        Stream stream;
        try
        {
            stream = await client.CoreV1.ReadNamespacedPodLogAsync(
                target.Pod, target.Namespace, container: target.Container, follow: !previous, previous: previous,
                tailLines: limits.PodLogTailLines, limitBytes: limits.PodLogMaxBytes + 1, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
        {
            stream = new MemoryStream(Encoding.UTF8.GetBytes(previous ? "(no previous container: it has not restarted)\n" : $"(no log yet: {ClusterApplier.Describe(e)})\n"));
        }

        await using (stream)
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            long bytes = 0;
            while (await ReadLineAsync(reader, cancellationToken) is { } line)
            {
                bytes += Encoding.UTF8.GetByteCount(line) + 1;
                if (bytes > limits.PodLogMaxBytes)
                {
                    yield return CutLine(limits.PodLogMaxBytes);
                    yield break;
                }

                yield return line;
            }
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            // The page closed or the connection ended: the log just ends.
            return null;
        }
    }

    private async Task<(PodLogTarget? Target, Outcome<PodLogTarget>? Error)> ServiceAsync(ClaimsPrincipal user, string team, string service, string environmentName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await db.Services.AsNoTracking().Where(s => s.Team.Name == team && s.Name == service).Select(s => new { s.TeamId }).SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return (null, Outcome<PodLogTarget>.NotFound($"There is no service {team}/{service}."));
        }

        if (!await access.CanSeeAsync(user, found.TeamId, cancellationToken))
        {
            return (null, Outcome<PodLogTarget>.Forbidden($"Only members of {team} can read the logs of {service}."));
        }

        if (environments.Value.Find(environmentName) is not { } environment)
        {
            return (null, Outcome<PodLogTarget>.NotFound($"There is no environment '{environmentName}'."));
        }

        return (new PodLogTarget(environment.Cluster, environment.NamespaceFor(team), "", service), null);
    }
}
