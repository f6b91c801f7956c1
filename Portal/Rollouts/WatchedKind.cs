using k8s;
using k8s.Models;

namespace Portal.Rollouts;

/// <summary>How to list and watch one resource kind in a namespace with KubernetesClient.</summary>
public sealed record WatchedKind(
    string Name,
    Func<IKubernetes, string, CancellationToken, Task<(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Items, string ResourceVersion)>> List,
    Func<IKubernetes, string, string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, IKubernetesObject<V1ObjectMeta> Object)>> Watch)
{
    // The server closes a watch after this; it is then resumed from the last resourceVersion.
    private const int WatchTimeoutSeconds = 300;

    /// <summary>The keys an object of this kind is filed under in a watch's cache (<see cref="SharedWatch.Indexed"/>): none by default.</summary>
    public Func<IKubernetesObject<V1ObjectMeta>, IEnumerable<string>> IndexKeys { get; init; } = _ => [];

    public static readonly WatchedKind Deployments = new(
        "deployments",
        async (client, ns, ct) => Items(await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: ct)),
        (client, ns, rv, ct) => Cast(client.AppsV1.WatchListNamespacedDeploymentAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)));

    public static readonly WatchedKind ReplicaSets = new(
        "replicasets",
        async (client, ns, ct) => Items(await client.AppsV1.ListNamespacedReplicaSetAsync(ns, cancellationToken: ct)),
        (client, ns, rv, ct) => Cast(client.AppsV1.WatchListNamespacedReplicaSetAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)))
    {
        IndexKeys = Owners,
    };

    public static readonly WatchedKind Pods = new(
        "pods",
        async (client, ns, ct) => Items(await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct)),
        (client, ns, rv, ct) => Cast(client.CoreV1.WatchListNamespacedPodAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)))
    {
        IndexKeys = Owners,
    };

    public static readonly WatchedKind Events = new(
        "events",
        async (client, ns, ct) => Items(await client.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: ct)),
        (client, ns, rv, ct) => Cast(client.CoreV1.WatchListNamespacedEventAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)))
    {
        // A namespace keeps the Events of every object for an hour: a rollout reads only those about its own objects.
        IndexKeys = item => item is Corev1Event { InvolvedObject.Name: { } name } ? [name] : [],
    };

    public static readonly WatchedKind Autoscalers = new(
        "horizontalpodautoscalers",
        async (client, ns, ct) => Items(await client.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync(ns, cancellationToken: ct)),
        (client, ns, rv, ct) => Cast(client.AutoscalingV2.WatchListNamespacedHorizontalPodAutoscalerAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)));

    /// <summary>The uids of an object's owners (a ReplicaSet's Deployment, a Pod's ReplicaSet).</summary>
    private static IEnumerable<string> Owners(IKubernetesObject<V1ObjectMeta> item) =>
        item.Metadata.OwnerReferences?.Select(o => o.Uid).Where(uid => uid is not null) ?? [];

    private static (IReadOnlyList<IKubernetesObject<V1ObjectMeta>>, string) Items(V1DeploymentList list) => ([.. list.Items], list.Metadata?.ResourceVersion ?? "");

    private static (IReadOnlyList<IKubernetesObject<V1ObjectMeta>>, string) Items(V1ReplicaSetList list) => ([.. list.Items], list.Metadata?.ResourceVersion ?? "");

    private static (IReadOnlyList<IKubernetesObject<V1ObjectMeta>>, string) Items(V1PodList list) => ([.. list.Items], list.Metadata?.ResourceVersion ?? "");

    private static (IReadOnlyList<IKubernetesObject<V1ObjectMeta>>, string) Items(Corev1EventList list) => ([.. list.Items], list.Metadata?.ResourceVersion ?? "");

    private static (IReadOnlyList<IKubernetesObject<V1ObjectMeta>>, string) Items(V2HorizontalPodAutoscalerList list) => ([.. list.Items], list.Metadata?.ResourceVersion ?? "");

    private static async IAsyncEnumerable<(WatchEventType, IKubernetesObject<V1ObjectMeta>)> Cast<T>(IAsyncEnumerable<(WatchEventType, T)> events)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        await foreach (var (type, item) in events)
        {
            yield return (type, item);
        }
    }
}
