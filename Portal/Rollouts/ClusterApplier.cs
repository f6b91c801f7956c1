using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Portal.Cluster;

namespace Portal.Rollouts;

/// <summary>Server-side applies a request's manifests (field manager <c>selfservice-portal</c>) and removes what it no longer has.</summary>
public sealed class ClusterApplier(ClusterConnections connections)
{
    public const string FieldManager = "selfservice-portal";

    /// <summary>Applies every object in order; returns the Deployment's generation after the apply.</summary>
    /// <remarks><paramref name="deploymentApplied"/> hears the generation as soon as the Deployment is applied, before the objects after it.</remarks>
    public async Task<long?> ApplyAsync(string cluster, Manifests manifests, CancellationToken cancellationToken, Action<long?>? deploymentApplied = null)
    {
        var client = await ConnectAsync(cluster);
        var ns = manifests.Deployment.Metadata.NamespaceProperty;
        await client.CoreV1.PatchNamespaceAsync(Patch(manifests.Namespace), manifests.Namespace.Metadata.Name, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        await client.CoreV1.PatchNamespacedConfigMapAsync(Patch(manifests.ConfigMap), manifests.ConfigMap.Metadata.Name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        if (manifests.Secret is { } secret)
        {
            await client.CoreV1.PatchNamespacedSecretAsync(Patch(secret), secret.Metadata.Name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        }
        else
        {
            await DeleteIfPresentAsync(() => client.CoreV1.DeleteNamespacedSecretAsync(ManifestBuilder.SecretName(manifests.Deployment.Metadata.Name), ns, cancellationToken: cancellationToken));
        }

        // The claims before the Deployment that mounts them. A claim the request no longer lists stays: it holds data.
        foreach (var claim in manifests.Claims)
        {
            await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(Patch(claim), claim.Metadata.Name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        }

        if (manifests.Autoscaler is null)
        {
            // Autoscaling turned off: the HPA goes before the Deployment gets its replicas back, or it could resize them
            // to its own count between the two calls (seen once: replicas 3 applied, 2 left by the HPA).
            await DeleteIfPresentAsync(() => client.AutoscalingV2.DeleteNamespacedHorizontalPodAutoscalerAsync(manifests.Deployment.Metadata.Name, ns, cancellationToken: cancellationToken));
        }

        var deployment = await client.AppsV1.PatchNamespacedDeploymentAsync(Patch(manifests.Deployment), manifests.Deployment.Metadata.Name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        deploymentApplied?.Invoke(deployment.Metadata.Generation);
        if (manifests.Service is { } service)
        {
            await client.CoreV1.PatchNamespacedServiceAsync(Patch(service), service.Metadata.Name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        }
        else
        {
            // A worker (or a web service turned worker) has no Service object.
            await DeleteIfPresentAsync(() => client.CoreV1.DeleteNamespacedServiceAsync(manifests.Deployment.Metadata.Name, ns, cancellationToken: cancellationToken));
        }

        if (manifests.Autoscaler is { } autoscaler)
        {
            await client.AutoscalingV2.PatchNamespacedHorizontalPodAutoscalerAsync(Patch(autoscaler), autoscaler.Metadata.Name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        }

        await ApplyOrDeleteAsync(client, manifests, ns, cancellationToken);
        return deployment.Metadata.Generation;
    }

    /// <summary>The PodDisruptionBudget and the Ingress: applied when the request has them, deleted when it does not any more.</summary>
    private static async Task ApplyOrDeleteAsync(IKubernetes client, Manifests manifests, string ns, CancellationToken cancellationToken)
    {
        var name = manifests.Deployment.Metadata.Name;
        if (manifests.DisruptionBudget is { } budget)
        {
            await client.PolicyV1.PatchNamespacedPodDisruptionBudgetAsync(Patch(budget), name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        }
        else
        {
            await DeleteIfPresentAsync(() => client.PolicyV1.DeleteNamespacedPodDisruptionBudgetAsync(name, ns, cancellationToken: cancellationToken));
        }

        if (manifests.Ingress is { } ingress)
        {
            await client.NetworkingV1.PatchNamespacedIngressAsync(Patch(ingress), name, ns, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        }
        else
        {
            await DeleteIfPresentAsync(() => client.NetworkingV1.DeleteNamespacedIngressAsync(name, ns, cancellationToken: cancellationToken));
        }
    }

    private async Task<IKubernetes> ConnectAsync(string cluster)
    {
        try
        {
            return await connections.ConnectAsync(cluster);
        }
        catch (KubeConfigException e)
        {
            // A kubeconfig that is not there yet (a cluster still starting, a secret not mounted yet) may be there at the
            // next attempt: the connection is tried again, never cached as failed.
            throw new HttpRequestException($"no usable kubeconfig for cluster '{cluster}': {e.Message}", e);
        }
    }

    /// <summary>Connection failures, 5xx and 429 are worth another try; other answers are the cluster's verdict on the change.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        HttpOperationException http => (int)http.Response.StatusCode >= 500 || http.Response.StatusCode == HttpStatusCode.TooManyRequests,
        HttpRequestException or SocketException or IOException or TaskCanceledException => true,
        _ => false,
    };

    /// <summary>What the API server said, without the request (which may hold secret data).</summary>
    public static string Describe(Exception e)
    {
        if (e is HttpOperationException http)
        {
            var message = http.Response.Content;
            try
            {
                using var status = JsonDocument.Parse(http.Response.Content ?? "");
                message = status.RootElement.TryGetProperty("message", out var text) ? text.GetString() : message;
            }
            catch (JsonException)
            {
                // Not a Status body: keep the raw text.
            }

            return $"{(int)http.Response.StatusCode} {http.Response.ReasonPhrase}: {message}";
        }

        return e switch
        {
            HttpRequestException request => $"cannot reach the cluster: {request.Message}",
            TaskCanceledException => "the cluster did not answer in time",
            _ => e.Message,
        };
    }

    private static V1Patch Patch(object manifest) => new(KubernetesJson.Serialize(manifest), V1Patch.PatchType.ApplyPatch);

    private static async Task DeleteIfPresentAsync(Func<Task> delete)
    {
        try
        {
            await delete();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }
}
