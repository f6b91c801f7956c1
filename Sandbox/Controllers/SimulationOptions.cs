namespace Sandbox.Controllers;

/// <summary>
/// How the simulated cluster behaves: its nodes, how long containers take to start and become ready, which images
/// fail and how, and the simulated CPU load the HorizontalPodAutoscaler sees. Every duration is cluster time
/// (the store's <see cref="TimeProvider"/>), so a speed factor or a fake clock shortens them all alike.
/// </summary>
public sealed class SimulationOptions
{
    /// <summary>Annotation on a Deployment giving its simulated average CPU utilization in percent of the requests.</summary>
    public const string CpuUtilizationAnnotation = "sandbox.selfservice/cpu-utilization";

    /// <summary>Nodes created at start when the cluster has none: <c>sandbox-node-1</c> .. <c>sandbox-node-N</c>. Default 3.</summary>
    public int NodeCount { get; set; } = 3;

    public string NodeNamePrefix { get; set; } = "sandbox-node-";

    /// <summary>Allocatable CPU of each node, as a quantity. Default "4".</summary>
    public string NodeCpu { get; set; } = "4";

    /// <summary>Allocatable memory of each node, as a quantity. Default "16Gi".</summary>
    public string NodeMemory { get; set; } = "16Gi";

    /// <summary>Pods a node accepts, as the kubelet's default maxPods. Default 110.</summary>
    public int NodeMaxPods { get; set; } = 110;

    /// <summary>Pulling an image that is not on the node yet. Default 1 s.</summary>
    public TimeSpan ImagePullDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>From Started to Ready for a container without a readinessProbe. Default 2 s.</summary>
    public TimeSpan ReadinessDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>From Started to Ready for images matched by <see cref="ImageBehaviour.SlowReadiness"/>. Default 60 s.</summary>
    public TimeSpan SlowReadinessDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a <see cref="ImageBehaviour.CrashLoop"/> container runs before it exits with code 1. Default 2 s.</summary>
    public TimeSpan CrashAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First back-off of CrashLoopBackOff and ImagePullBackOff; doubles each time (10 s, 20 s, 40 s ...). Default 10 s.</summary>
    public TimeSpan BackOffInitial { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest back-off, as the kubelet's. Default 5 min.</summary>
    public TimeSpan BackOffMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Image behaviours by keyword, first match wins; a keyword matches when the image's tag contains it
    /// (case-insensitive; an untagged image has the tag "latest"). Defaults:
    /// <c>crash</c> → CrashLoopBackOff, <c>missing</c> and <c>notfound</c> → ErrImagePull/ImagePullBackOff,
    /// <c>slow</c> → ready after <see cref="SlowReadinessDelay"/>, <c>unready</c> → runs but never becomes ready.
    /// </summary>
    public IList<ImageRule> ImageRules { get; set; } =
    [
        new("crash", ImageBehaviour.CrashLoop),
        new("missing", ImageBehaviour.PullFailure),
        new("notfound", ImageBehaviour.PullFailure),
        new("slow", ImageBehaviour.SlowReadiness),
        new("unready", ImageBehaviour.NeverReady),
    ];

    /// <summary>
    /// Optional check of a real registry: called with the image reference when a pull starts; false gives ErrImagePull
    /// as for a missing image. Exceptions count as "exists" so that an unreachable registry does not fail rollouts.
    /// </summary>
    public Func<string, CancellationToken, Task<bool>>? ImageExists { get; set; }

    /// <summary>CPU utilization (percent of requests) of Deployments without <see cref="CpuUtilizationAnnotation"/>. Default 50.</summary>
    public int DefaultCpuUtilization { get; set; } = 50;

    /// <summary>How often each HorizontalPodAutoscaler is evaluated, as kube-controller-manager's default. Default 15 s.</summary>
    public TimeSpan AutoscalerSyncPeriod { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Ratio of current to target utilization within which the HPA does not scale. Default 0.1, as the real one.</summary>
    public double AutoscalerTolerance { get; set; } = 0.1;

    /// <summary>Events older than this (by lastTimestamp) are deleted, as the API server's event TTL does. Default 1 h.</summary>
    public TimeSpan EventTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// From a PersistentVolumeClaim's creation (or, with WaitForFirstConsumer, its first consumer's scheduling) to its volume
    /// being provisioned and bound. Zero binds within the controllers' first look at the claim. Default 200 ms.
    /// </summary>
    public TimeSpan VolumeProvisioningDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>From a claim's grown storage request to its grown <c>status.capacity</c> (the file system resize). Default 500 ms.</summary>
    public TimeSpan VolumeResizeDelay { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>What a container started from a matching image does.</summary>
public enum ImageBehaviour
{
    /// <summary>Starts and becomes ready after the readiness delay.</summary>
    Runs,

    /// <summary>Starts, exits with code 1 after <see cref="SimulationOptions.CrashAfter"/>, restarts with growing back-off.</summary>
    CrashLoop,

    /// <summary>The pull fails: ErrImagePull, then ImagePullBackOff, retried with growing back-off.</summary>
    PullFailure,

    /// <summary>Starts and becomes ready only after <see cref="SimulationOptions.SlowReadinessDelay"/>.</summary>
    SlowReadiness,

    /// <summary>Starts and runs but never passes readiness.</summary>
    NeverReady,
}

/// <summary>Images whose tag contains <paramref name="TagContains"/> behave as <paramref name="Behaviour"/>.</summary>
public sealed record ImageRule(string TagContains, ImageBehaviour Behaviour);
