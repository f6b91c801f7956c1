using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// A kubelet for every node at once: runs the containers of bound pods as a timed state machine
/// (ContainerCreating, Running, Ready; or ErrImagePull/ImagePullBackOff; or CrashLoopBackOff with the kubelet's
/// doubling back-off) according to <see cref="SimulationOptions.ImageRules"/>, and reports it in pod status and
/// Events as the real kubelet words them.
/// </summary>
internal sealed class Kubelet(ClusterStore store, EventRecorder events, SimulationOptions options, ReconcileQueue queue, CancellationToken stopping)
{
    public const string Component = "kubelet";

    private readonly Dictionary<string, PodRun> pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> imagesOnNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> addressesHandedOut = new(StringComparer.Ordinal);

    /// <summary>Brings one pod's containers up to the current time; returns when it next needs a look, if ever.</summary>
    public TimeSpan? Sync(string ns, string name)
    {
        var pod = store.Get(ResourceTypes.Pods, ns, name);
        if (pod is null)
        {
            return null;
        }

        var nodeName = pod.Text("spec", "nodeName");
        if (string.IsNullOrEmpty(nodeName) || Scheduler.IsTerminal(pod) || pod.IsBeingDeleted())
        {
            return null;
        }

        var now = store.Time.GetUtcNow();
        if (!this.pods.ContainsKey(pod.Uid()) && AttachConflict(pod, nodeName) is { } conflict)
        {
            // The attach-detach controller refuses a second node: the pod waits in ContainerCreating until the volume is free.
            events.Warning(pod, "FailedAttachVolume", conflict, "attachdetach-controller");
            var waiting = WaitingForVolumes(pod, nodeName, now);
            if (!JsonNode.DeepEquals(waiting, pod["status"]))
            {
                pod["status"] = waiting;
                store.UpdateStatus(ResourceTypes.Pods, pod, Component);
            }

            return AttachRetry;
        }

        if (!this.pods.TryGetValue(pod.Uid(), out var run))
        {
            run = Resume(pod, nodeName, now);
            this.pods[pod.Uid()] = run;
        }

        var context = new PodContext(pod, run, nodeName);
        MatchSpec(context, now);
        foreach (var container in run.Containers)
        {
            // A pull that waited for the registry's answer goes on as soon as it is there.
            if (container.RegistryCheck is { IsCompleted: true } && container.Due == DateTimeOffset.MaxValue)
            {
                container.Due = now;
            }
            // Each step happens at the time it was due, so a large jump of the clock plays out every step in between.
            for (var steps = 0; container.Due <= now && steps < 1000; steps++)
            {
                Step(context, container, container.Due);
            }
        }

        var status = BuildStatus(context, now);
        if (!JsonNode.DeepEquals(status, pod["status"]))
        {
            pod["status"] = status;
            store.UpdateStatus(ResourceTypes.Pods, pod, Component);
        }
        if (context.Run.Phase == "Failed")
        {
            this.pods.Remove(pod.Uid());
        }

        var next = run.Containers.Select(c => c.Due).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        return next == DateTimeOffset.MaxValue ? null : next - now;
    }

    /// <summary>How often a pod waiting for a volume attached elsewhere looks again.</summary>
    public static readonly TimeSpan AttachRetry = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Multi-Attach: a bound ReadWriteOnce or ReadWriteOncePod volume already in use by a pod started on another node
    /// cannot be attached here (pods on the same node share it). Returns the attach-detach controller's message, or null.
    /// </summary>
    private string? AttachConflict(JsonObject pod, string nodeName)
    {
        foreach (var claimName in Scheduler.ClaimNames(pod))
        {
            var claim = store.Get(ResourceTypes.PersistentVolumeClaims, pod.Namespace(), claimName);
            if (claim is null || !VolumeController.IsBound(claim))
            {
                continue;
            }

            var modes = (claim.At("status", "accessModes") as JsonArray ?? []).Select(m => (string?)m).ToList();
            if (modes.Contains("ReadWriteMany") || modes.Contains("ReadOnlyMany"))
            {
                continue;
            }

            var users = store.List(ResourceTypes.Pods, pod.Namespace())
                .Where(other => other.Uid() != pod.Uid() && this.pods.TryGetValue(other.Uid(), out var run) && run.NodeName != nodeName
                    && !Scheduler.IsTerminal(other) && Scheduler.ClaimNames(other).Contains(claimName, StringComparer.Ordinal))
                .Select(other => other.Name())
                .Order(StringComparer.Ordinal)
                .ToList();
            if (users.Count > 0)
            {
                return $"Multi-Attach error for volume \"{claim.Text("spec", "volumeName")}\" Volume is already used by pod(s) {string.Join(", ", users)}";
            }
        }

        return null;
    }

    private JsonObject WaitingForVolumes(JsonObject pod, string nodeName, DateTimeOffset now)
    {
        var previous = pod["status"] as JsonObject ?? new JsonObject();
        var containers = pod.Objects("spec", "containers").ToList();
        var unready = $"containers with unready status: [{string.Join(' ', containers.Select(c => c.Text("name")))}]";
        var hostIp = HostIp(nodeName);
        return new JsonObject
        {
            ["phase"] = "Pending",
            ["conditions"] = new JsonArray(
                Condition(previous, "PodReadyToStartContainers", "False", null, null, now),
                Condition(previous, "Initialized", "True", null, null, now),
                Condition(previous, "Ready", "False", "ContainersNotReady", unready, now),
                Condition(previous, "ContainersReady", "False", "ContainersNotReady", unready, now),
                Condition(previous, "PodScheduled", "True", null, null, now)),
            ["hostIP"] = hostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = hostIp }),
            ["startTime"] = previous.Text("startTime") ?? ObjectFields.Timestamp(now),
            ["containerStatuses"] = new JsonArray(containers.Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Text("name"),
                ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
                ["lastState"] = new JsonObject(),
                ["ready"] = false,
                ["restartCount"] = 0,
                ["image"] = c.Text("image"),
                ["imageID"] = "",
                ["started"] = false,
            }).ToArray()),
            ["qosClass"] = PodResources.QosClass(pod),
        };
    }

    /// <summary>A pod is gone: its running containers are stopped (Killing) and forgotten.</summary>
    public void Forget(JsonObject pod)
    {
        if (!this.pods.Remove(pod.Uid(), out var run))
        {
            return;
        }

        foreach (var container in run.Containers.Where(c => c.Stage is Stage.Running))
        {
            events.Normal(pod, "Killing", $"Stopping container {container.Name}", Component, run.NodeName, FieldPath(container));
        }
    }

    private PodRun Resume(JsonObject pod, string nodeName, DateTimeOffset now)
    {
        var run = new PodRun
        {
            NodeName = nodeName,
            StartTime = ObjectFields.ParseTime(pod.Text("status", "startTime")) ?? now,
            PodIp = pod.Text("status", "podIP") ?? NextPodIp(nodeName),
        };
        // After a restart of the Sandbox the pod may already be running: pick up from its reported state.
        var reported = pod.Objects("status", "containerStatuses").ToDictionary(s => s.Text("name") ?? "", StringComparer.Ordinal);
        foreach (var spec in pod.Objects("spec", "containers"))
        {
            var container = NewContainer(spec, pod, now);
            if (reported.TryGetValue(container.Name, out var status) && status.Text("image") == container.Image
                && ObjectFields.ParseTime(status.Text("state", "running", "startedAt")) is { } startedAt)
            {
                container.Stage = Stage.Running;
                container.StartedAt = startedAt;
                container.Ready = status.Flag("ready");
                container.RestartCount = status.Int("restartCount") ?? 0;
                container.ContainerId = status.Text("containerID");
                container.ImagePulled = true;
                ScheduleRunning(container, ReadinessDelay(container, spec), startedAt);
                if (container.ReadyAt is { } readyAt && readyAt < now && !container.Ready)
                {
                    container.ReadyAt = now;
                }
            }
            run.Containers.Add(container);
        }
        return run;
    }

    // A changed image restarts the container, as the kubelet does when a container's spec hash changes.
    private void MatchSpec(PodContext context, DateTimeOffset now)
    {
        var specs = context.Pod.Objects("spec", "containers").ToList();
        var byName = context.Run.Containers.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var next = new List<ContainerRun>();
        foreach (var spec in specs)
        {
            var name = spec.Text("name") ?? "";
            if (byName.TryGetValue(name, out var existing) && existing.Image == (spec.Text("image") ?? ""))
            {
                next.Add(existing);
                continue;
            }
            var container = NewContainer(spec, context.Pod, now);
            if (existing is not null)
            {
                events.Normal(context.Pod, "Killing", $"Container {name} definition changed, will be restarted", Component, context.Run.NodeName, FieldPath(existing));
                container.RestartCount = existing.RestartCount + 1;
            }
            next.Add(container);
        }
        context.Run.Containers.Clear();
        context.Run.Containers.AddRange(next);
    }

    private ContainerRun NewContainer(JsonObject spec, JsonObject pod, DateTimeOffset now)
    {
        var image = spec.Text("image") ?? "";
        return new ContainerRun
        {
            Name = spec.Text("name") ?? "",
            Image = image,
            Behaviour = BehaviourOf(image, options.ImageRules),
            Spec = spec,
            Stage = Stage.Pulling,
            Due = now,
            PullStarting = true,
            RestartPolicy = pod.Text("spec", "restartPolicy") ?? "Always",
        };
    }

    private void Step(PodContext context, ContainerRun container, DateTimeOffset at)
    {
        switch (container.Stage)
        {
            case Stage.Pulling when container.PullStarting:
                BeginPull(context, container, at);
                break;
            case Stage.Pulling:
                FinishPull(context, container, at);
                break;
            case Stage.PullFailed:
                container.Stage = Stage.PullBackOff;
                container.WaitingReason = "ImagePullBackOff";
                container.WaitingMessage = $"Back-off pulling image \"{container.Image}\"";
                events.Normal(context.Pod, "BackOff", $"Back-off pulling image \"{container.Image}\"", Component, context.Run.NodeName, FieldPath(container));
                events.Warning(context.Pod, "Failed", "Error: ImagePullBackOff", Component, context.Run.NodeName, FieldPath(container));
                container.Due = at + BackOff(container.PullFailures);
                break;
            case Stage.PullBackOff:
                container.Stage = Stage.Pulling;
                container.PullStarting = true;
                container.Due = at;
                break;
            case Stage.Running:
                StepRunning(context, container, at);
                break;
            case Stage.CrashBackOff:
                container.RestartCount++;
                events.Normal(context.Pod, "Pulled", $"Container image \"{container.Image}\" already present on machine", Component, context.Run.NodeName, FieldPath(container));
                StartContainer(context, container, at);
                break;
            default:
                container.Due = DateTimeOffset.MaxValue;
                break;
        }
    }

    private void BeginPull(PodContext context, ContainerRun container, DateTimeOffset at)
    {
        container.PullStarting = false;
        var policy = container.Spec.Text("imagePullPolicy") ?? DefaultPullPolicy(container.Image);
        var present = imagesOnNode.TryGetValue(context.Run.NodeName, out var images) && images.Contains(container.Image);
        if (present && policy != "Always" && container.Behaviour != ImageBehaviour.PullFailure)
        {
            events.Normal(context.Pod, "Pulled", $"Container image \"{container.Image}\" already present on machine", Component, context.Run.NodeName, FieldPath(container));
            StartContainer(context, container, at);
            return;
        }
        events.Normal(context.Pod, "Pulling", $"Pulling image \"{container.Image}\"", Component, context.Run.NodeName, FieldPath(container));
        container.PullStartedAt = at;
        container.Due = at + options.ImagePullDuration;
        container.RegistrySays = null;
        if (options.ImageExists is { } imageExists && container.Behaviour != ImageBehaviour.PullFailure)
        {
            var check = CheckRegistry(imageExists, container.Image);
            container.RegistryCheck = check;
            var pod = context.Pod;
            queue.Track(check, () => queue.Add(new WorkItem(ControllerManager.KubeletController, pod.Namespace(), pod.Name())));
        }
    }

    private async Task<bool> CheckRegistry(Func<string, CancellationToken, Task<bool>> imageExists, string image)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            return await imageExists(image, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // An unreachable registry is not the image's fault: let the simulated pull succeed.
            return true;
        }
    }

    private void FinishPull(PodContext context, ContainerRun container, DateTimeOffset at)
    {
        if (container.RegistryCheck is { } check)
        {
            if (!check.IsCompleted)
            {
                // The pull lasts until the registry has answered; the answer re-queues the pod.
                container.Due = DateTimeOffset.MaxValue;
                return;
            }
            container.RegistrySays = check.Result;
            container.RegistryCheck = null;
        }
        if (container.Behaviour == ImageBehaviour.PullFailure || container.RegistrySays == false)
        {
            container.PullFailures++;
            container.Stage = Stage.PullFailed;
            var reason = $"rpc error: code = NotFound desc = failed to pull and unpack image \"{container.Image}\": failed to resolve reference \"{container.Image}\": {container.Image}: not found";
            container.WaitingReason = "ErrImagePull";
            container.WaitingMessage = reason;
            events.Warning(context.Pod, "Failed", $"Failed to pull image \"{container.Image}\": {reason}", Component, context.Run.NodeName, FieldPath(container));
            events.Warning(context.Pod, "Failed", "Error: ErrImagePull", Component, context.Run.NodeName, FieldPath(container));
            // ErrImagePull shows until the kubelet's next sync turns it into ImagePullBackOff.
            container.Due = at + TimeSpan.FromSeconds(1);
            return;
        }
        imagesOnNode.TryAdd(context.Run.NodeName, new HashSet<string>(StringComparer.Ordinal));
        imagesOnNode[context.Run.NodeName].Add(container.Image);
        var took = Seconds(at - (container.PullStartedAt ?? at));
        events.Normal(context.Pod, "Pulled", $"Successfully pulled image \"{container.Image}\" in {took} ({took} including waiting)", Component, context.Run.NodeName, FieldPath(container));
        StartContainer(context, container, at);
    }

    private void StartContainer(PodContext context, ContainerRun container, DateTimeOffset at)
    {
        container.ImagePulled = true;
        container.Stage = Stage.Running;
        container.StartedAt = at;
        container.Ready = false;
        container.WaitingReason = null;
        container.WaitingMessage = null;
        container.ContainerId = "containerd://" + Hex($"{context.Pod.Uid()}/{container.Name}/{container.RestartCount}");
        events.Normal(context.Pod, "Created", $"Created container: {container.Name}", Component, context.Run.NodeName, FieldPath(container));
        events.Normal(context.Pod, "Started", $"Started container {container.Name}", Component, context.Run.NodeName, FieldPath(container));
        ScheduleRunning(container, ReadinessDelay(container, container.Spec), at);
    }

    private void ScheduleRunning(ContainerRun container, TimeSpan? readiness, DateTimeOffset startedAt)
    {
        container.ReadyAt = container.Ready || readiness is null ? null : startedAt + readiness.Value;
        container.CrashAt = container.Behaviour == ImageBehaviour.CrashLoop ? startedAt + options.CrashAfter : null;
        container.Due = Min(container.ReadyAt, container.CrashAt);
    }

    private void StepRunning(PodContext context, ContainerRun container, DateTimeOffset at)
    {
        if (container.CrashAt is { } crashAt && crashAt <= at)
        {
            Crash(context, container, crashAt);
            return;
        }
        if (container.ReadyAt is { } readyAt && readyAt <= at)
        {
            container.Ready = true;
            container.ReadyAt = null;
        }
        container.Due = Min(container.ReadyAt, container.CrashAt);
    }

    private void Crash(PodContext context, ContainerRun container, DateTimeOffset at)
    {
        container.Ready = false;
        container.ReadyAt = null;
        container.CrashAt = null;
        container.LastTermination = new JsonObject
        {
            ["exitCode"] = 1,
            ["reason"] = "Error",
            ["startedAt"] = ObjectFields.Timestamp(container.StartedAt ?? at),
            ["finishedAt"] = ObjectFields.Timestamp(at),
            ["containerID"] = container.ContainerId,
        };
        if (container.RestartPolicy == "Never")
        {
            container.Stage = Stage.Exited;
            container.Due = DateTimeOffset.MaxValue;
            return;
        }
        // The kubelet restarts a container the first time it exits at once, then backs off 10 s, 20 s, 40 s ... 5 min.
        var backOff = container.RestartCount == 0 ? TimeSpan.Zero : BackOff(container.RestartCount);
        if (backOff == TimeSpan.Zero)
        {
            container.RestartCount++;
            StartContainer(context, container, at);
            return;
        }
        var pod = context.Pod;
        container.Stage = Stage.CrashBackOff;
        container.WaitingReason = "CrashLoopBackOff";
        container.WaitingMessage = $"back-off {Duration(backOff)} restarting failed container={container.Name} pod={pod.Name()}_{pod.Namespace()}({pod.Uid()})";
        events.Warning(pod, "BackOff", $"Back-off restarting failed container {container.Name} in pod {pod.Name()}_{pod.Namespace()}({pod.Uid()})", Component, context.Run.NodeName, FieldPath(container));
        container.Due = at + backOff;
    }

    private TimeSpan BackOff(int failures)
    {
        var backOff = options.BackOffInitial;
        for (var i = 1; i < failures && backOff < options.BackOffMax; i++)
        {
            backOff += backOff;
        }

        return backOff < options.BackOffMax ? backOff : options.BackOffMax;
    }

    private TimeSpan? ReadinessDelay(ContainerRun container, JsonObject spec)
    {
        if (container.Behaviour is ImageBehaviour.NeverReady or ImageBehaviour.CrashLoop)
        {
            return null;
        }

        if (container.Behaviour is ImageBehaviour.SlowReadiness)
        {
            return options.SlowReadinessDelay;
        }

        if (spec["readinessProbe"] is JsonObject probe)
        {
            return TimeSpan.FromSeconds(Math.Max(1, probe.Int("initialDelaySeconds") ?? 0));
        }

        return options.ReadinessDelay;
    }

    private JsonObject BuildStatus(PodContext context, DateTimeOffset now)
    {
        var pod = context.Pod;
        var run = context.Run;
        var previous = pod["status"] as JsonObject ?? new JsonObject();
        var containers = run.Containers;
        var allStarted = containers.Count > 0 && containers.All(c => c.ImagePulled);
        var exited = containers.Count > 0 && containers.All(c => c.Stage == Stage.Exited);
        run.Phase = exited ? "Failed" : allStarted ? "Running" : "Pending";
        var unready = containers.Where(c => !c.Ready).Select(c => c.Name).ToList();
        var ready = unready.Count == 0 && !exited;

        var conditions = new JsonArray(
            Condition(previous, "PodReadyToStartContainers", "True", null, null, now),
            Condition(previous, "Initialized", "True", null, null, now),
            ready
                ? Condition(previous, "Ready", "True", null, null, now)
                : Condition(previous, "Ready", "False", exited ? "PodFailed" : "ContainersNotReady", exited ? null : $"containers with unready status: [{string.Join(' ', unready)}]", now),
            ready
                ? Condition(previous, "ContainersReady", "True", null, null, now)
                : Condition(previous, "ContainersReady", "False", exited ? "PodFailed" : "ContainersNotReady", exited ? null : $"containers with unready status: [{string.Join(' ', unready)}]", now),
            Condition(previous, "PodScheduled", "True", null, null, now));

        var hostIp = HostIp(run.NodeName);
        var status = new JsonObject
        {
            ["phase"] = run.Phase,
            ["conditions"] = conditions,
            ["hostIP"] = hostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = hostIp }),
            ["podIP"] = run.PodIp,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = run.PodIp }),
            ["startTime"] = ObjectFields.Timestamp(run.StartTime),
            ["containerStatuses"] = new JsonArray(containers.Select(ContainerStatus).ToArray<JsonNode?>()),
            ["qosClass"] = PodResources.QosClass(pod),
        };
        return status;
    }

    private static JsonObject ContainerStatus(ContainerRun container)
    {
        JsonObject state = container.Stage switch
        {
            Stage.Running => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = ObjectFields.Timestamp(container.StartedAt!.Value) } },
            Stage.Exited => new JsonObject { ["terminated"] = container.LastTermination!.DeepClone() },
            _ => new JsonObject
            {
                ["waiting"] = container.WaitingMessage is null
                    ? new JsonObject { ["reason"] = container.WaitingReason ?? "ContainerCreating" }
                    : new JsonObject { ["reason"] = container.WaitingReason, ["message"] = container.WaitingMessage },
            },
        };
        var status = new JsonObject
        {
            ["name"] = container.Name,
            ["state"] = state,
            ["lastState"] = container.Stage != Stage.Exited && container.LastTermination is { } last
                ? new JsonObject { ["terminated"] = last.DeepClone() }
                : new JsonObject(),
            ["ready"] = container.Ready,
            ["restartCount"] = container.RestartCount,
            ["image"] = container.Image,
            ["imageID"] = container.ImagePulled ? ImageId(container.Image) : "",
            ["started"] = container.Stage == Stage.Running,
        };
        if (container.ContainerId is not null && container.ImagePulled)
        {
            status["containerID"] = container.ContainerId;
        }

        return status;
    }

    private static JsonObject Condition(JsonObject previousStatus, string type, string value, string? reason, string? message, DateTimeOffset now)
    {
        var previous = previousStatus.Condition(type);
        var transition = previous is not null && previous.Text("status") == value
            ? previous.Text("lastTransitionTime") ?? ObjectFields.Timestamp(now)
            : ObjectFields.Timestamp(now);
        var condition = new JsonObject { ["type"] = type, ["status"] = value, ["lastProbeTime"] = null, ["lastTransitionTime"] = transition };
        if (reason is not null)
        {
            condition["reason"] = reason;
        }

        if (message is not null)
        {
            condition["message"] = message;
        }

        return condition;
    }

    private string HostIp(string nodeName) =>
        store.Get(ResourceTypes.Nodes, null, nodeName).Objects("status", "addresses").FirstOrDefault(a => a.Text("type") == "InternalIP")?.Text("address")
        ?? "10.0.0.1";

    private string NextPodIp(string nodeName)
    {
        var nodes = store.List(ResourceTypes.Nodes, null).Select(n => n.Name()).Order(StringComparer.Ordinal).ToList();
        var index = Math.Max(0, nodes.IndexOf(nodeName)) + 1;
        var handedOut = addressesHandedOut.GetValueOrDefault(nodeName);
        addressesHandedOut[nodeName] = handedOut + 1;
        return $"10.244.{index}.{handedOut % 253 + 2}";
    }

    /// <summary>The first rule whose keyword is in the image's tag decides; no match runs normally.</summary>
    public static ImageBehaviour BehaviourOf(string image, IEnumerable<ImageRule> rules)
    {
        var tag = TagOf(image);
        return rules.FirstOrDefault(r => r.TagContains.Length > 0 && tag.Contains(r.TagContains, StringComparison.OrdinalIgnoreCase))?.Behaviour
            ?? ImageBehaviour.Runs;
    }

    /// <summary>"registry:5000/team/app:1.2@sha256:..." has tag "1.2"; an untagged image is "latest".</summary>
    public static string TagOf(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var lastSegment = withoutDigest[(withoutDigest.LastIndexOf('/') + 1)..];
        var colon = lastSegment.LastIndexOf(':');
        return colon < 0 ? "latest" : lastSegment[(colon + 1)..];
    }

    private static string DefaultPullPolicy(string image) =>
        TagOf(image) == "latest" && !image.Contains('@') ? "Always" : "IfNotPresent";

    private static string ImageId(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var lastSegment = withoutDigest.LastIndexOf('/');
        var colon = withoutDigest.LastIndexOf(':');
        var repository = colon > lastSegment ? withoutDigest[..colon] : withoutDigest;
        if (!repository.Contains('/'))
        {
            repository = "docker.io/library/" + repository;
        }
        else if (!repository[..repository.IndexOf('/')].Contains('.') && !repository[..repository.IndexOf('/')].Contains(':') && !repository.StartsWith("localhost/", StringComparison.Ordinal))
        {
            repository = "docker.io/" + repository;
        }

        return $"{repository}@sha256:{Hex(image)}";
    }

    private static string Hex(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    private static string FieldPath(ContainerRun container) => $"spec.containers{{{container.Name}}}";

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset? b) =>
        (a, b) switch
        {
            ({ } x, { } y) => x < y ? x : y,
            ({ } x, null) => x,
            (null, { } y) => y,
            _ => DateTimeOffset.MaxValue,
        };

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    /// <summary>Go's Duration.String for whole seconds and minutes: 10s, 40s, 2m40s, 5m0s.</summary>
    private static string Duration(TimeSpan span) =>
        span.TotalMinutes >= 1
            ? $"{(int)span.TotalMinutes}m{span.Seconds}s"
            : $"{(int)span.TotalSeconds}s";

    private sealed record PodContext(JsonObject Pod, PodRun Run, string NodeName);

    private sealed class PodRun
    {
        public required string NodeName { get; init; }
        public required DateTimeOffset StartTime { get; init; }
        public required string PodIp { get; init; }
        public List<ContainerRun> Containers { get; } = [];
        public string Phase { get; set; } = "Pending";
    }

    private enum Stage { Pulling, PullFailed, PullBackOff, Running, CrashBackOff, Exited }

    private sealed class ContainerRun
    {
        public required string Name { get; init; }
        public required string Image { get; init; }
        public required ImageBehaviour Behaviour { get; init; }
        public required JsonObject Spec { get; init; }
        public required string RestartPolicy { get; init; }
        public Stage Stage { get; set; }
        public DateTimeOffset Due { get; set; }
        public bool PullStarting { get; set; }
        public DateTimeOffset? PullStartedAt { get; set; }
        public int PullFailures { get; set; }
        public Task<bool>? RegistryCheck { get; set; }
        public bool? RegistrySays { get; set; }
        public bool ImagePulled { get; set; }
        public int RestartCount { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? ReadyAt { get; set; }
        public DateTimeOffset? CrashAt { get; set; }
        public bool Ready { get; set; }
        public string? ContainerId { get; set; }
        public string? WaitingReason { get; set; }
        public string? WaitingMessage { get; set; }
        public JsonObject? LastTermination { get; set; }
    }
}
