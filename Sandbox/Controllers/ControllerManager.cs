using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The Sandbox's kube-controller-manager, scheduler and kubelets in one: watches the <see cref="ClusterStore"/> and
/// reconciles Deployments, ReplicaSets, pod scheduling, simulated containers and HorizontalPodAutoscalers on the
/// store's clock. All reconciling happens on one worker, one object at a time, so the controllers never race each other.
/// </summary>
public sealed class ControllerManager : IDisposable
{
    /// <summary>The field manager of the controllers' writes, as a real cluster's managedFields name it.</summary>
    internal const string Manager = "kube-controller-manager";
    internal const string DeploymentController = "deployment";
    internal const string ReplicaSetController = "replicaset";
    internal const string SchedulerController = "scheduler";
    internal const string KubeletController = "kubelet";
    internal const string AutoscalerController = "hpa";
    internal const string EndpointsController = "endpoints";
    internal const string QuotaController = "resourcequota";
    internal const string VolumeController = "persistentvolume";
    private const string HousekeepingController = "housekeeping";
    private static readonly TimeSpan HousekeepingPeriod = TimeSpan.FromMinutes(10);

    private readonly ClusterStore store;
    private readonly SimulationOptions options;
    private readonly ILogger logger;
    private readonly ReconcileQueue queue;
    private readonly CancellationTokenSource stopping = new();
    private readonly EventRecorder events;
    private readonly DeploymentController deployments;
    private readonly ReplicaSetController replicaSets;
    private readonly Scheduler scheduler;
    private readonly Kubelet kubelet;
    private readonly HorizontalPodAutoscalerController autoscalers;
    private readonly EndpointsController endpoints;
    private readonly VolumeController volumes;
    private IDisposable? subscription;
    private int disposed;

    public ControllerManager(ClusterStore store, SimulationOptions options) : this(store, options, null) { }

    public ControllerManager(ClusterStore store, SimulationOptions options, ILogger<ControllerManager>? logger)
    {
        this.store = store;
        this.options = options;
        this.logger = logger ?? (ILogger)NullLogger.Instance;
        queue = new ReconcileQueue(store.Time, Reconcile, Failed);
        events = new EventRecorder(store);
        deployments = new DeploymentController(store, events);
        replicaSets = new ReplicaSetController(store, events);
        this.scheduler = new Scheduler(store, events);
        this.kubelet = new Kubelet(store, events, options, queue, stopping.Token);
        autoscalers = new HorizontalPodAutoscalerController(store, events, options);
        endpoints = new EndpointsController(store);
        volumes = new VolumeController(store, events, options);
    }

    /// <summary>Subscribes to the store, creates the default nodes if there are none, and reconciles everything there is.</summary>
    public void Start()
    {
        if (subscription is not null)
        {
            return;
        }

        subscription = this.store.Subscribe(OnChange);
        SimulatedNodes.EnsureCreated(this.store, this.options);
        foreach (var d in this.store.List(ResourceTypes.Deployments, null))
        {
            Enqueue(DeploymentController, d);
        }

        foreach (var rs in this.store.List(ResourceTypes.ReplicaSets, null))
        {
            Enqueue(ReplicaSetController, rs);
        }

        foreach (var pod in this.store.List(ResourceTypes.Pods, null))
        {
            Enqueue(Scheduler.NeedsScheduling(pod) ? SchedulerController : KubeletController, pod);
        }

        foreach (var hpa in this.store.List(ResourceTypes.HorizontalPodAutoscalers, null))
        {
            Enqueue(AutoscalerController, hpa);
        }

        foreach (var service in this.store.List(ResourceTypes.Services, null))
        {
            Enqueue(EndpointsController, service);
        }

        foreach (var quota in this.store.List(ResourceTypes.ResourceQuotas, null))
        {
            Enqueue(QuotaController, quota);
        }

        foreach (var claim in this.store.List(ResourceTypes.PersistentVolumeClaims, null))
        {
            Enqueue(VolumeController, claim);
        }

        queue.AddAfter(new WorkItem(HousekeepingController, "", ""), HousekeepingPeriod);
        queue.Start();
    }

    /// <summary>
    /// Completes once every queued reconcile has run, including everything those caused (timers still waiting
    /// for their time do not count). Tests advance a fake clock and wait for this between steps.
    /// </summary>
    public Task WhenIdle() => queue.WhenIdle();

    /// <summary>Like <see cref="WhenIdle"/> but without waiting for registry lookups still under way.</summary>
    internal Task WhenIdleExceptRegistryLookups() => queue.WhenIdle(includeOutsideWork: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        subscription?.Dispose();
        stopping.Cancel();
        queue.Dispose();
        stopping.Dispose();
    }

    private void OnChange(StoreEvent change)
    {
        var obj = change.Object;
        var type = change.Resource;
        if (type == ResourceTypes.Deployments)
        {
            Enqueue(DeploymentController, obj);
        }
        else if (type == ResourceTypes.ReplicaSets)
        {
            Enqueue(ReplicaSetController, obj);
            EnqueueOwner(obj, "Deployment", DeploymentController);
        }
        else if (type == ResourceTypes.Pods)
        {
            OnPodChange(change.Type, obj);
            EnqueueAll(EndpointsController, ResourceTypes.Services, obj.Namespace());
            EnqueueAll(QuotaController, ResourceTypes.ResourceQuotas, obj.Namespace());
        }
        else if (type == ResourceTypes.Services)
        {
            Enqueue(EndpointsController, obj);
            EnqueueAll(QuotaController, ResourceTypes.ResourceQuotas, obj.Namespace());
        }
        else if (type == ResourceTypes.ResourceQuotas)
        {
            Enqueue(QuotaController, obj);
        }
        else if (type == ResourceTypes.ConfigMaps || type == ResourceTypes.Secrets)
        {
            EnqueueAll(QuotaController, ResourceTypes.ResourceQuotas, obj.Namespace());
        }
        else if (type == ResourceTypes.PersistentVolumeClaims)
        {
            EnqueueAll(QuotaController, ResourceTypes.ResourceQuotas, obj.Namespace());
            Enqueue(VolumeController, obj);
            if (change.Type == StoreEventType.Added || Sandbox.Controllers.VolumeController.IsBound(obj))
            {
                // Pods waiting for this claim (to exist, or to be bound) are tried again.
                RetryUnschedulable();
            }
        }
        else if (type == ResourceTypes.StorageClasses)
        {
            foreach (var claim in this.store.List(ResourceTypes.PersistentVolumeClaims, null).Where(c => !Sandbox.Controllers.VolumeController.IsBound(c)))
            {
                Enqueue(VolumeController, claim);
            }
        }
        else if (type == ResourceTypes.Nodes)
        {
            RetryUnschedulable();
        }
        else if (type == ResourceTypes.HorizontalPodAutoscalers)
        {
            // Like the real controller (its queue is rate-limited by the resync period), a new HPA is first evaluated one
            // period after it was created, so a client's read-modify-write right after the create does not meet a status write.
            if (change.Type == StoreEventType.Added)
            {
                queue.AddAfter(new WorkItem(AutoscalerController, obj.Namespace(), obj.Name()), this.options.AutoscalerSyncPeriod);
            }
            else if (change.Type == StoreEventType.Modified && obj.Generation() != (obj.Number("status", "observedGeneration") ?? 0)
                && obj.At("status") is not null)
            {
                // A changed spec of an HPA already synced is looked at at once.
                Enqueue(AutoscalerController, obj);
            }
            else if (change.Type == StoreEventType.Deleted)
            {
                Enqueue(AutoscalerController, obj);
            }
        }
    }

    private void OnPodChange(StoreEventType changeType, JsonObject pod)
    {
        EnqueueOwner(pod, "ReplicaSet", ReplicaSetController);
        if (changeType == StoreEventType.Deleted)
        {
            Enqueue(KubeletController, pod, deletedPod: pod);
            if (!string.IsNullOrEmpty(pod.Text("spec", "nodeName")))
            {
                RetryUnschedulable();
            }

            return;
        }
        if (Scheduler.NeedsScheduling(pod))
        {
            // Our own "Unschedulable" status write is no reason to try again; capacity changes are.
            if (changeType == StoreEventType.Added || !Scheduler.IsUnschedulable(pod))
            {
                Enqueue(SchedulerController, pod);
            }
        }
        else if (!string.IsNullOrEmpty(pod.Text("spec", "nodeName")))
        {
            Enqueue(KubeletController, pod);
            if (Scheduler.IsTerminal(pod))
            {
                RetryUnschedulable();
            }
        }
    }

    private readonly Dictionary<string, JsonObject> deletedPods = new(StringComparer.Ordinal);

    private void Enqueue(string controller, JsonObject obj, JsonObject? deletedPod = null)
    {
        if (deletedPod is not null)
        {
            lock (deletedPods)
            {
                deletedPods[ObjectFields.Key(obj.Namespace(), obj.Name())] = deletedPod;
            }
        }
        queue.Add(new WorkItem(controller, obj.Namespace(), obj.Name()));
    }

    private void EnqueueAll(string controller, ResourceType type, string ns)
    {
        foreach (var obj in this.store.List(type, ns))
        {
            queue.Add(new WorkItem(controller, ns, obj.Name()));
        }
    }

    private void EnqueueOwner(JsonObject obj, string ownerKind, string controller)
    {
        if (obj.ControllerReference() is { } owner && owner.Text("kind") == ownerKind && owner.Text("name") is { } name)
        {
            queue.Add(new WorkItem(controller, obj.Namespace(), name));
        }
    }

    private void RetryUnschedulable()
    {
        foreach (var pod in this.store.List(ResourceTypes.Pods, null).Where(Scheduler.NeedsScheduling))
        {
            queue.Add(new WorkItem(SchedulerController, pod.Namespace(), pod.Name()));
        }
    }

    private void Reconcile(WorkItem item)
    {
        TimeSpan? again = null;
        switch (item.Controller)
        {
            case DeploymentController:
                again = deployments.Sync(item.Namespace, item.Name);
                break;
            case ReplicaSetController:
                again = replicaSets.Sync(item.Namespace, item.Name);
                break;
            case SchedulerController:
                if (this.scheduler.Schedule(item.Namespace, item.Name))
                {
                    again = Scheduler.UnschedulableRetry;
                }

                break;
            case KubeletController:
                JsonObject? deleted;
                lock (deletedPods)
                {
                    if (deletedPods.Remove(ObjectFields.Key(item.Namespace, item.Name), out deleted)) { }
                }
                if (deleted is not null)
                {
                    this.kubelet.Forget(deleted);
                }

                again = this.kubelet.Sync(item.Namespace, item.Name);
                break;
            case AutoscalerController:
                again = autoscalers.Sync(item.Namespace, item.Name);
                break;
            case EndpointsController:
                endpoints.Sync(item.Namespace, item.Name);
                break;
            case QuotaController:
                ResourceQuotas.Sync(this.store, item.Namespace, item.Name);
                break;
            case VolumeController:
                again = volumes.Sync(item.Namespace, item.Name);
                break;
            case HousekeepingController:
                events.Expire(this.options.EventTimeToLive);
                again = HousekeepingPeriod;
                break;
        }
        if (again is { } delay)
        {
            queue.AddAfter(item, delay);
        }
    }

    private void Failed(WorkItem item, Exception error) =>
        this.logger.LogWarning(error, "Sandbox controller failed to reconcile {Item}; retrying", item);
}
