using System.Diagnostics;
using k8s;

namespace Portal.Cluster;

/// <summary>One cluster's connection as seen just now: the API server's version and how long it took to answer, or why not.</summary>
public sealed record ClusterCheck(string Cluster, string? Server, string? Version, TimeSpan Latency, string? Error)
{
    public bool Reachable => Error is null;
}

/// <summary>Asks each cluster for its version (<c>GET /version</c>), the cheapest call every API server answers.</summary>
public sealed class ClusterHealth(ClusterConnections connections, ILogger<ClusterHealth> logger)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<ClusterCheck> CheckAsync(string cluster, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        string? server = null;
        try
        {
            var client = await connections.ConnectAsync(cluster);
            server = (client as Kubernetes)?.BaseUri?.ToString();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            var version = await client.Version.GetCodeAsync(timeout.Token);
            return new ClusterCheck(cluster, server, version.GitVersion, watch.Elapsed, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Cluster {Cluster} did not answer its version call: {Error}", cluster, e.Message);
            var error = e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message;
            return new ClusterCheck(cluster, server, null, watch.Elapsed, error);
        }
    }
}
