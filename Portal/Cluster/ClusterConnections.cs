using System.Collections.Concurrent;
using k8s;
using Microsoft.Extensions.Options;

namespace Portal.Cluster;

/// <summary>One <see cref="IKubernetes"/> client per configured cluster, built from its kubeconfig (or in-cluster config).</summary>
public sealed class ClusterConnections(IConfiguration configuration, EmbeddedSandbox sandbox) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<IKubernetes>>> clients = new(StringComparer.Ordinal);

    public static bool UsesEmbeddedSandbox(IConfiguration configuration) =>
        !configuration.GetSection($"{ClusterOptions.Section}:{ClusterOptions.DefaultName}").Exists();

    /// <summary>The cluster's client; a connection that failed is tried again on the next call, never cached.</summary>
    public async Task<IKubernetes> ConnectAsync(string cluster)
    {
        var entry = clients.GetOrAdd(cluster, name => new Lazy<Task<IKubernetes>>(() => CreateAsync(name)));
        try
        {
            return await entry.Value;
        }
        catch
        {
            // Only this failed entry goes: a newer one another caller added meanwhile stays.
            clients.TryRemove(KeyValuePair.Create(cluster, entry));
            throw;
        }
    }

    private async Task<IKubernetes> CreateAsync(string name)
    {
        var options = configuration.GetSection($"{ClusterOptions.Section}:{name}").Get<ClusterOptions>();
        KubernetesClientConfiguration config;
        if (options is null && name == ClusterOptions.DefaultName)
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(await sandbox.KubeconfigAsync);
        }
        else if (options is null)
        {
            throw new InvalidOperationException($"No cluster named '{name}' is configured under {ClusterOptions.Section}.");
        }
        else if (options.InCluster)
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig, options.Context);
        }

        return new Kubernetes(config);
    }

    public void Dispose()
    {
        foreach (var client in clients.Values.Where(c => c.IsValueCreated && c.Value.IsCompletedSuccessfully))
        {
            client.Value.Result.Dispose();
        }
    }
}
