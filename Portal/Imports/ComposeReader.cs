using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Portal.Catalog;
using Portal.Cluster;
using Portal.Requests;

namespace Portal.Imports;

/// <summary>
/// Reads a compose file (the Compose Specification) into a <see cref="ComposePlan"/>. A file that is not YAML, too big,
/// hostile (an alias bomb) or holds a value of the wrong type or a key the specification does not know is refused as a
/// whole, with each error keyed by its path in the file (<c>services.api.deploy.replicas</c>).
/// </summary>
public static partial class ComposeReader
{
    /// <summary>Compose files are a few kilobytes; anything over this is refused before it is parsed.</summary>
    public const int MaxBytes = 1024 * 1024;

    public const string DefaultVolumeSize = "1Gi";

    private static readonly string[] SecretWords = ["PASSWORD", "SECRET", "TOKEN", "KEY"];

    private static readonly HashSet<string> TopLevelKeys = ["version", "name", "services", "networks", "volumes", "configs", "secrets", "include", "models"];

    /// <summary>Service keys the portal carries over (some partly: see the plan's notes).</summary>
    private static readonly HashSet<string> CarriedKeys = ["image", "ports", "expose", "environment", "env_file", "deploy", "healthcheck", "volumes", "scale"];

    /// <summary>The other keys of a service in the Compose Specification, with why the portal leaves each behind.</summary>
    private static readonly Dictionary<string, string> NotCarriedKeys = new()
    {
        ["build"] = "The portal deploys images from a registry; build and push the image, then set 'image'.",
        ["depends_on"] = "Kubernetes starts pods in any order: the service must wait for what it needs itself (retry on connect, or a readiness probe).",
        ["network_mode"] = "Pods get the cluster's network; other services are reached by their Service DNS name.",
        ["networks"] = "Every service of the namespace reaches the others by their Service DNS name; there are no compose networks.",
        ["links"] = "Services reach each other by their Service DNS name.",
        ["external_links"] = "Services reach each other by their Service DNS name.",
        ["privileged"] = "The portal never runs privileged containers.",
        ["cap_add"] = "The portal does not add Linux capabilities.",
        ["cap_drop"] = "Linux capabilities are not set by the portal.",
        ["command"] = "The container runs its image's command; change the image to change it.",
        ["entrypoint"] = "The container runs its image's entrypoint; change the image to change it.",
        ["container_name"] = "Pods are named by their Deployment.",
        ["restart"] = "Kubernetes restarts failed containers itself.",
        ["labels"] = "The portal sets its own labels.",
        ["logging"] = "Logs are the cluster's; see them on the rollout page.",
        ["secrets"] = "Compose secrets are files: add their values as secret keys in the request form.",
        ["configs"] = "Compose configs are files: bake them into the image or set env vars.",
        ["extra_hosts"] = "Host entries are not set by the portal.",
        ["user"] = "The image's user runs the container.",
        ["working_dir"] = "The image's working directory is used.",
        ["profiles"] = "Every chosen service is registered; pick them in the import.",
        ["tmpfs"] = "Scratch space is not set by the portal.",
        ["mem_limit"] = "Use deploy.resources.limits.memory.",
        ["mem_reservation"] = "Use deploy.resources.reservations.memory.",
        ["cpus"] = "Use deploy.resources.limits.cpus.",
    };

    private static readonly HashSet<string> OtherServiceKeys =
    [
        "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "cpu_count", "cpu_percent", "cpu_shares", "cpu_period", "cpu_quota",
        "cpu_rt_runtime", "cpu_rt_period", "cpuset", "credential_spec", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search",
        "domainname", "driver_opts", "extends", "gpus", "group_add", "hostname", "init", "ipc", "isolation", "label_file", "mac_address", "mem_swappiness",
        "memswap_limit", "models", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "post_start", "pre_stop", "provider", "pull_policy",
        "read_only", "runtime", "security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tty", "ulimits",
        "use_api_socket", "userns_mode", "uts", "volumes_from",
    ];

    private static readonly HashSet<string> DeployKeys = ["mode", "replicas", "labels", "update_config", "rollback_config", "resources", "restart_policy", "placement", "endpoint_mode"];

    private static readonly HashSet<string> HealthcheckKeys = ["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"];

    private static readonly HashSet<string> ResourceKeys = ["cpus", "memory", "pids", "devices", "generic_resources"];

    /// <summary>The plan of <paramref name="text"/>, or the errors that refuse it, keyed by path.</summary>
    public static Outcome<ComposeFile> Read(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            return TooBig();
        }

        var (document, yamlError) = ComposeYaml.Load(text);
        if (yamlError is not null)
        {
            return Outcome<ComposeFile>.Invalid("file", yamlError);
        }

        var reading = new Reading();
        var plan = reading.File(document);
        return reading.Errors.Count > 0
            ? Outcome<ComposeFile>.Invalid(reading.Errors.ToDictionary(e => e.Key, e => e.Value.ToArray()))
            : Outcome<ComposeFile>.Ok(new ComposeFile(plan, reading.SecretValues));
    }

    public static Outcome<ComposeFile> TooBig() =>
        Outcome<ComposeFile>.Invalid("file", $"The file is over {MaxBytes / 1024 / 1024} MB: a compose file is a few kilobytes. Refused without reading it.");

    /// <summary>A compose name as a Kubernetes name: lowercase, with '-' for '_' and '.'.</summary>
    public static string KubernetesName(string composeName) => composeName.Trim().ToLowerInvariant().Replace('_', '-').Replace('.', '-');

    public static bool LooksSecret(string key) => SecretWords.Any(word => key.Contains(word, StringComparison.OrdinalIgnoreCase));

    private sealed class Reading
    {
        public Dictionary<string, List<string>> Errors { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, IReadOnlyDictionary<string, string>> SecretValues { get; } = new(StringComparer.Ordinal);

        private readonly Dictionary<string, YamlMapping?> declaredVolumes = new(StringComparer.Ordinal);

        private void Error(string path, string message)
        {
            if (!Errors.TryGetValue(path, out var list))
            {
                Errors[path] = list = [];
            }

            list.Add(message);
        }

        public ComposePlan File(YamlNode? document)
        {
            if (document is not YamlMapping root)
            {
                Error("file", "The file is not a compose file: it must be a mapping with a 'services' key.");
                return new ComposePlan([], []);
            }

            var notCarried = new List<NotCarried>();
            foreach (var (key, value) in root.Entries)
            {
                if (key.StartsWith("x-", StringComparison.Ordinal))
                {
                    notCarried.Add(new(key, "An extension field: its anchors are used where the file refers to them; it is not imported itself."));
                }
                else if (!TopLevelKeys.Contains(key))
                {
                    Error(key, $"'{key}' (line {value.Line}) is not a top-level key of the Compose Specification.");
                }
                else if (key is "version")
                {
                    notCarried.Add(new(key, "Obsolete in the Compose Specification; ignored."));
                }
                else if (key is "name")
                {
                    notCarried.Add(new(key, "The project name: services are registered under the team instead."));
                }
                else if (key is "networks" or "configs" or "secrets" or "include" or "models")
                {
                    notCarried.Add(new(key, $"Top-level {key} are not carried over: see each service's notes."));
                }
            }

            ReadDeclaredVolumes(root["volumes"], notCarried);
            if (root["services"] is not YamlMapping services || services.Entries.Count == 0)
            {
                Error("services", root["services"] is null or YamlMapping
                    ? "The file has no services."
                    : $"'services' (line {root["services"]!.Line}) must be a mapping of service names to services.");
                return new ComposePlan([], notCarried);
            }

            var planned = new List<PlannedService>();
            foreach (var (name, node) in services.Entries)
            {
                if (node is not YamlMapping service)
                {
                    Error($"services.{name}", $"Service '{name}' (line {node.Line}) must be a mapping.");
                    continue;
                }

                var plan = Service(name, service);
                if (planned.Any(p => p.Name == plan.Name))
                {
                    plan = plan with { Problems = [.. plan.Problems, $"Another service of the file is also named '{plan.Name}' in the portal."] };
                }

                planned.Add(plan);
            }

            return new ComposePlan(planned, notCarried);
        }

        private void ReadDeclaredVolumes(YamlNode? node, List<NotCarried> notCarried)
        {
            if (node is null || node is YamlScalar { IsNull: true })
            {
                return;
            }

            if (node is not YamlMapping volumes)
            {
                Error("volumes", $"Top-level 'volumes' (line {node.Line}) must be a mapping of volume names.");
                return;
            }

            foreach (var (name, value) in volumes.Entries)
            {
                var path = $"volumes.{name}";
                if (value is YamlMapping options)
                {
                    declaredVolumes[name] = options;
                    foreach (var (key, _) in options.Entries)
                    {
                        notCarried.Add(new($"{path}.{key}", key == "external"
                            ? "An external volume's data is not moved: the portal creates a new, empty claim."
                            : "Volume drivers and options are the cluster's: the claim uses a StorageClass."));
                    }
                }
                else if (value is YamlScalar { IsNull: true })
                {
                    declaredVolumes[name] = null;
                }
                else
                {
                    Error(path, $"Volume '{name}' (line {value.Line}) must be a mapping or empty.");
                }
            }
        }

        private PlannedService Service(string composeName, YamlMapping service)
        {
            var path = $"services.{composeName}";
            var name = KubernetesName(composeName);
            var notes = new List<string>();
            var problems = new List<string>();
            var notCarried = new List<NotCarried>();
            if (name != composeName)
            {
                notes.Add($"Registered as '{name}': Kubernetes names are lowercase letters, digits and '-'.");
            }

            if (KubernetesNames.ValidateServiceName(name, "Service name") is { } nameError)
            {
                problems.Add($"'{composeName}' cannot be a portal service name: {nameError}");
            }

            foreach (var (key, value) in service.Entries)
            {
                if (CarriedKeys.Contains(key))
                {
                    continue;
                }

                if (NotCarriedKeys.TryGetValue(key, out var reason))
                {
                    notCarried.Add(new($"{path}.{key}", reason));
                }
                else if (OtherServiceKeys.Contains(key) || key.StartsWith("x-", StringComparison.Ordinal))
                {
                    notCarried.Add(new($"{path}.{key}", "Not carried over by the portal."));
                }
                else
                {
                    Error($"{path}.{key}", $"'{key}' (line {value.Line}) is not a key of a compose service.");
                }
            }

            var (repository, tag) = Image(path, service["image"], notes, problems);
            var (kind, port) = Port(path, service, notCarried);
            var replicas = Replicas(path, service, notCarried);
            var resources = Resources(path, service["deploy"] as YamlMapping, notes, notCarried);
            var (envVars, secrets) = Environment(path, name, service["environment"], notCarried);
            EnvFiles(path, service["env_file"], notCarried);
            var readiness = Healthcheck(path, service["healthcheck"], notes, notCarried);
            if (readiness is null && kind == ServiceKind.Web)
            {
                notes.Add("No healthcheck: no readiness probe. Add one in the request form so that a rollout waits for the service to answer.");
            }

            var volumes = Volumes(path, service["volumes"], notes, notCarried);
            if (volumes.Any(v => v.AccessMode == VolumeAccessMode.ReadWriteOnce) && replicas > 1)
            {
                notes.Add("A ReadWriteOnce volume attaches to one node: keep one replica or use the Recreate strategy.");
            }

            return new PlannedService(composeName, name, repository, tag, kind, port, replicas, resources, envVars, secrets, readiness, volumes, notCarried, notes, problems);
        }

        private (string Repository, string Tag) Image(string path, YamlNode? node, List<string> notes, List<string> problems)
        {
            if (node is null)
            {
                problems.Add("No image: the portal deploys an image from a registry ('build' is not carried over).");
                return ("", "");
            }

            if (Scalar($"{path}.image", node, "an image name such as 'ghcr.io/team/api:1.2'") is not { } image)
            {
                return ("", "");
            }

            if (image.Contains('$', StringComparison.Ordinal))
            {
                problems.Add($"The image '{image}' uses ${{...}} interpolation: write the image name in the file.");
                return (image, "");
            }

            var at = image.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0)
            {
                notes.Add("The image digest is not carried: the portal pins the tag to a digest when a request is submitted.");
                image = image[..at];
            }

            var slash = image.LastIndexOf('/');
            var colon = image.LastIndexOf(':');
            var (repository, tag) = colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
            if (colon <= slash)
            {
                notes.Add("No tag: 'latest' is requested. Pin a version in the request form.");
            }

            if (KubernetesNames.ValidateImageRepository(repository) is { } repositoryError)
            {
                problems.Add(repositoryError);
            }

            if (KubernetesNames.ValidateImageTag(tag) is { } tagError)
            {
                problems.Add(tagError);
            }

            return (repository, tag);
        }

        private (ServiceKind Kind, int Port) Port(string path, YamlMapping service, List<NotCarried> notCarried)
        {
            var ports = new List<(int Port, string Key)>();
            foreach (var key in new[] { "ports", "expose" })
            {
                if (service[key] is not { } node || node is YamlScalar { IsNull: true })
                {
                    continue;
                }

                if (node is not YamlSequence list)
                {
                    Error($"{path}.{key}", $"'{key}' (line {node.Line}) must be a list, such as ['8080:80'].");
                    continue;
                }

                for (var i = 0; i < list.Items.Count; i++)
                {
                    var itemPath = $"{path}.{key}[{i}]";
                    if (ContainerPort(itemPath, list.Items[i], notCarried) is { } port)
                    {
                        ports.Add((port, itemPath));
                    }
                }
            }

            if (ports.Count == 0)
            {
                return (ServiceKind.Worker, 0);
            }

            foreach (var (port, key) in ports.Skip(1).Where(p => p.Port != ports[0].Port))
            {
                notCarried.Add(new(key, $"Port {port}: a portal service has one port, {ports[0].Port}."));
            }

            return (ServiceKind.Web, ports[0].Port);
        }

        private int? ContainerPort(string path, YamlNode node, List<NotCarried> notCarried)
        {
            string target;
            if (node is YamlMapping mapping)
            {
                if (mapping["target"] is not { } targetNode || Scalar($"{path}.target", targetNode, "a port number") is not { } value)
                {
                    Error($"{path}.target", $"The port on line {node.Line} has no 'target' (the container port).");
                    return null;
                }

                target = value;
                if (mapping["published"] is not null)
                {
                    notCarried.Add(new($"{path}.published", "Published host ports are not carried: the Service listens on the container port inside the cluster; add an Ingress for outside access."));
                }
            }
            else if (Scalar(path, node, "a port such as '8080:80' or 80") is { } value)
            {
                var text = value.Trim();
                var slash = text.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && !text[(slash + 1)..].Equals("tcp", StringComparison.OrdinalIgnoreCase))
                {
                    notCarried.Add(new(path, $"'{value}': only TCP ports are carried."));
                    return null;
                }

                text = slash >= 0 ? text[..slash] : text;
                var colon = text.LastIndexOf(':');
                target = colon >= 0 ? text[(colon + 1)..] : text;
                if (colon >= 0)
                {
                    notCarried.Add(new(path, $"The published host port of '{value}' is not carried: the Service listens on port {target} inside the cluster; add an Ingress for outside access."));
                }
            }
            else
            {
                return null;
            }

            if (target.Contains('-', StringComparison.Ordinal))
            {
                notCarried.Add(new(path, $"Port range '{target}': a portal service has one port."));
                return null;
            }

            if (!int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                Error(path, $"'{target}' (line {node.Line}) is not a port: a number between 1 and 65535.");
                return null;
            }

            return port;
        }

        private int Replicas(string path, YamlMapping service, List<NotCarried> notCarried)
        {
            var deploy = service["deploy"];
            if (deploy is not null and not YamlMapping and not YamlScalar { IsNull: true })
            {
                Error($"{path}.deploy", $"'deploy' (line {deploy.Line}) must be a mapping.");
                return 1;
            }

            if (deploy is YamlMapping mapping)
            {
                foreach (var (key, value) in mapping.Entries)
                {
                    if (!DeployKeys.Contains(key) && !key.StartsWith("x-", StringComparison.Ordinal))
                    {
                        Error($"{path}.deploy.{key}", $"'{key}' (line {value.Line}) is not a key of deploy.");
                    }
                    else if (key is not "replicas" and not "resources")
                    {
                        notCarried.Add(new($"{path}.deploy.{key}", key == "update_config"
                            ? "Set the rollout strategy in the request form."
                            : "Not carried over by the portal."));
                    }
                }
            }

            var replicasPath = (deploy as YamlMapping)?["replicas"] is not null ? $"{path}.deploy.replicas" : $"{path}.scale";
            var node = (deploy as YamlMapping)?["replicas"] ?? service["scale"];
            if (node is null)
            {
                return 1;
            }

            if (Scalar(replicasPath, node, "a whole number") is not { } text)
            {
                return 1;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var replicas) || replicas > 1000)
            {
                Error(replicasPath, $"Replicas must be a whole number from 0 to 1000, not '{Shorten(text)}' (line {node.Line}).");
                return 1;
            }

            return replicas;
        }

        private ResourceSpec Resources(string path, YamlMapping? deploy, List<string> notes, List<NotCarried> notCarried)
        {
            var defaults = ResourcePreset.Medium;
            string? cpuLimit = null, cpuRequest = null, memoryLimit = null, memoryRequest = null;
            if (deploy?["resources"] is { } node && node is not YamlScalar { IsNull: true })
            {
                if (node is not YamlMapping resources)
                {
                    Error($"{path}.deploy.resources", $"'resources' (line {node.Line}) must be a mapping with limits and reservations.");
                    return new ResourceSpec(defaults.CpuRequest, defaults.CpuLimit, defaults.MemoryRequest, defaults.MemoryLimit);
                }

                foreach (var (key, value) in resources.Entries)
                {
                    var part = $"{path}.deploy.resources.{key}";
                    if (key is not "limits" and not "reservations")
                    {
                        Error(part, $"'{key}' (line {value.Line}) is not a key of deploy.resources: limits or reservations.");
                        continue;
                    }

                    if (value is not YamlMapping amounts)
                    {
                        Error(part, $"'{key}' (line {value.Line}) must be a mapping such as {{ cpus: '0.5', memory: 512M }}.");
                        continue;
                    }

                    foreach (var (amount, amountNode) in amounts.Entries)
                    {
                        var amountPath = $"{part}.{amount}";
                        if (!ResourceKeys.Contains(amount))
                        {
                            Error(amountPath, $"'{amount}' (line {amountNode.Line}) is not a resource: cpus or memory.");
                        }
                        else if (amount is "cpus" or "memory")
                        {
                            var quantity = amount == "cpus" ? Cpus(amountPath, amountNode) : Memory(amountPath, amountNode);
                            (cpuLimit, cpuRequest, memoryLimit, memoryRequest) = (key, amount) switch
                            {
                                ("limits", "cpus") => (quantity, cpuRequest, memoryLimit, memoryRequest),
                                ("reservations", "cpus") => (cpuLimit, quantity, memoryLimit, memoryRequest),
                                ("limits", _) => (cpuLimit, cpuRequest, quantity, memoryRequest),
                                _ => (cpuLimit, cpuRequest, memoryLimit, quantity),
                            };
                        }
                        else
                        {
                            notCarried.Add(new(amountPath, "Only cpus and memory are carried."));
                        }
                    }
                }
            }

            if (cpuLimit is null && cpuRequest is null)
            {
                notes.Add($"No CPU in deploy.resources: the portal's default, {defaults.CpuRequest} requested and {defaults.CpuLimit} limit.");
            }

            if (memoryLimit is null && memoryRequest is null)
            {
                notes.Add($"No memory in deploy.resources: the portal's default, {defaults.MemoryRequest} requested and {defaults.MemoryLimit} limit.");
            }

            // Kubernetes takes a limit without a request as the request too; a reservation without a limit becomes both.
            return new ResourceSpec(
                cpuRequest ?? cpuLimit ?? defaults.CpuRequest,
                cpuLimit ?? cpuRequest ?? defaults.CpuLimit,
                memoryRequest ?? memoryLimit ?? defaults.MemoryRequest,
                memoryLimit ?? memoryRequest ?? defaults.MemoryLimit);
        }

        /// <summary>Compose cpus ("0.5", 2) as a Kubernetes quantity ("500m", "2").</summary>
        private string? Cpus(string path, YamlNode node)
        {
            if (Scalar(path, node, "a number of CPUs such as '0.5'") is not { } text)
            {
                return null;
            }

            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus) || cpus <= 0 || cpus > 1000)
            {
                Error(path, $"'{Shorten(text)}' (line {node.Line}) is not a number of CPUs such as '0.5' or 2.");
                return null;
            }

            var millis = (long)Math.Ceiling(cpus * 1000);
            return millis % 1000 == 0 ? (millis / 1000).ToString(CultureInfo.InvariantCulture) : $"{millis}m";
        }

        /// <summary>Compose memory ("512M", "1.5g", "1024kb", bytes) as a Kubernetes quantity in binary units ("512Mi").</summary>
        private string? Memory(string path, YamlNode node)
        {
            if (Scalar(path, node, "an amount of memory such as '512M'") is not { } text)
            {
                return null;
            }

            var match = MemoryGrammar().Match(text.Trim());
            if (!match.Success || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
            {
                Error(path, $"'{Shorten(text)}' (line {node.Line}) is not an amount of memory such as 512M or 1G.");
                return null;
            }

            var unit = match.Groups[2].Value.ToLowerInvariant().TrimEnd('b');
            var power = unit switch { "k" => 1, "m" => 2, "g" => 3, "t" => 4, _ => 0 };
            var bytes = amount;
            for (var i = 0; i < power; i++)
            {
                bytes *= 1024;
            }

            if (bytes > 1024m * 1024 * 1024 * 1024 * 16)
            {
                Error(path, $"'{Shorten(text)}' (line {node.Line}) is more memory than a pod can have.");
                return null;
            }

            var whole = (long)Math.Ceiling(bytes);
            return (whole % (1L << 30)) == 0 ? $"{whole >> 30}Gi"
                : (whole % (1L << 20)) == 0 ? $"{whole >> 20}Mi"
                : $"{(whole + 1023) / 1024}Ki";
        }

        private (IReadOnlyList<EnvVarSpec> EnvVars, IReadOnlyList<string> SecretKeys) Environment(string path, string service, YamlNode? node, List<NotCarried> notCarried)
        {
            var pairs = new List<(string Key, string? Value, string Path)>();
            var envPath = $"{path}.environment";
            if (node is YamlMapping mapping)
            {
                foreach (var (key, value) in mapping.Entries)
                {
                    if (value is YamlScalar { IsNull: true })
                    {
                        pairs.Add((key, null, $"{envPath}.{key}"));
                    }
                    else if (Scalar($"{envPath}.{key}", value, "a value") is { } text)
                    {
                        pairs.Add((key, text, $"{envPath}.{key}"));
                    }
                }
            }
            else if (node is YamlSequence list)
            {
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (Scalar($"{envPath}[{i}]", list.Items[i], "'NAME=value'") is { } item)
                    {
                        var equals = item.IndexOf('=', StringComparison.Ordinal);
                        var key = equals < 0 ? item : item[..equals];
                        pairs.Add((key, equals < 0 ? null : item[(equals + 1)..], $"{envPath}.{key}"));
                    }
                }
            }
            else if (node is not null and not YamlScalar { IsNull: true })
            {
                Error(envPath, $"'environment' (line {node.Line}) must be a mapping (NAME: value) or a list ('NAME=value').");
            }

            var envVars = new List<EnvVarSpec>();
            var secretKeys = new List<string>();
            var secretValues = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value, keyPath) in pairs)
            {
                if (KubernetesNames.ValidateEnvVarName(key, "environment variable name") is { } nameError)
                {
                    notCarried.Add(new(keyPath, nameError));
                }
                else if (value is null)
                {
                    notCarried.Add(new(keyPath, "No value in the file (it comes from the shell): set it in the request form."));
                }
                else if (value.Contains("${", StringComparison.Ordinal) || DollarVariable().IsMatch(value))
                {
                    notCarried.Add(new(keyPath, "The value uses ${...} interpolation from the shell: set it in the request form."));
                }
                else if (LooksSecret(key))
                {
                    if (value.Length == 0)
                    {
                        notCarried.Add(new(keyPath, "A secret without a value in the file: set it in the request form."));
                        continue;
                    }

                    secretKeys.Add(key);
                    secretValues[key] = value.Replace("$$", "$", StringComparison.Ordinal);
                }
                else
                {
                    envVars.Add(new EnvVarSpec(key, value.Replace("$$", "$", StringComparison.Ordinal)));
                }
            }

            if (secretValues.Count > 0)
            {
                SecretValues[KubernetesName(service)] = secretValues;
            }

            return (envVars, secretKeys);
        }

        private void EnvFiles(string path, YamlNode? node, List<NotCarried> notCarried)
        {
            var filePath = $"{path}.env_file";
            var names = new List<string>();
            if (node is YamlScalar { IsNull: false } single)
            {
                names.Add(single.Value);
            }
            else if (node is YamlSequence list)
            {
                for (var i = 0; i < list.Items.Count; i++)
                {
                    var item = list.Items[i] is YamlMapping entry ? entry["path"] : list.Items[i];
                    if (item is not null && Scalar($"{filePath}[{i}]", item, "a file name") is { } name)
                    {
                        names.Add(name);
                    }
                }
            }
            else if (node is YamlMapping)
            {
                Error(filePath, $"'env_file' (line {node.Line}) must be a file name or a list of file names.");
            }

            foreach (var name in names)
            {
                notCarried.Add(new(filePath, $"'{name}': the file's contents are not uploaded. Add its variables (and secrets) in the request form."));
            }
        }

        private ProbeSpec? Healthcheck(string path, YamlNode? node, List<string> notes, List<NotCarried> notCarried)
        {
            var checkPath = $"{path}.healthcheck";
            if (node is null or YamlScalar { IsNull: true })
            {
                return null;
            }

            if (node is not YamlMapping check)
            {
                Error(checkPath, $"'healthcheck' (line {node.Line}) must be a mapping with a 'test'.");
                return null;
            }

            foreach (var (key, value) in check.Entries.Where(e => !HealthcheckKeys.Contains(e.Key)))
            {
                Error($"{checkPath}.{key}", $"'{key}' (line {value.Line}) is not a key of healthcheck.");
            }

            if (check["disable"] is { } disable && Scalar($"{checkPath}.disable", disable, "true or false") is "true" or "True")
            {
                return null;
            }

            var period = Seconds($"{checkPath}.interval", check["interval"]);
            var timeout = Seconds($"{checkPath}.timeout", check["timeout"]);
            var initialDelay = Seconds($"{checkPath}.start_period", check["start_period"]);
            int? retries = null;
            if (check["retries"] is { } retriesNode && Scalar($"{checkPath}.retries", retriesNode, "a whole number") is { } retriesText)
            {
                if (int.TryParse(retriesText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= 100)
                {
                    retries = parsed;
                }
                else
                {
                    Error($"{checkPath}.retries", $"Retries must be a whole number from 1 to 100, not '{Shorten(retriesText)}'.");
                }
            }

            if (check["start_interval"] is not null)
            {
                notCarried.Add(new($"{checkPath}.start_interval", "Not carried: the probe runs at its interval from the start."));
            }

            List<string> command;
            var testPath = $"{checkPath}.test";
            switch (check["test"])
            {
                case YamlSequence { Items.Count: > 0 } list:
                    var words = new List<string>();
                    for (var i = 0; i < list.Items.Count; i++)
                    {
                        if (Scalar($"{testPath}[{i}]", list.Items[i], "a word of the command") is { } word)
                        {
                            words.Add(word);
                        }
                    }

                    if (words.Count == 0 || words[0] == "NONE")
                    {
                        return null;
                    }

                    command = words[0] switch
                    {
                        "CMD" => words[1..],
                        "CMD-SHELL" => ["sh", "-c", string.Join(' ', words[1..])],
                        _ => [],
                    };
                    if (command.Count == 0)
                    {
                        Error(testPath, $"The healthcheck test (line {list.Line}) must start with CMD, CMD-SHELL or NONE and hold a command.");
                        return null;
                    }

                    break;
                case YamlScalar { IsNull: false } shell:
                    command = ["sh", "-c", shell.Value];
                    break;
                case null:
                    notes.Add("The healthcheck has no test: no readiness probe.");
                    return null;
                default:
                    Error(testPath, $"The healthcheck test (line {check["test"]!.Line}) must be a list such as [\"CMD\", \"curl\", \"-f\", \"http://localhost/healthz\"] or a shell command.");
                    return null;
            }

            var probe = HttpProbe(command) ?? ProbeSpec.Exec(command);
            if (probe.Kind == ProbeKind.Exec)
            {
                notes.Add("The healthcheck becomes an exec readiness probe: the image must hold the command it runs.");
            }

            return probe with
            {
                InitialDelaySeconds = initialDelay ?? 0,
                PeriodSeconds = period is null or ProbeSpec.DefaultPeriodSeconds ? null : period,
                TimeoutSeconds = timeout is null or ProbeSpec.DefaultTimeoutSeconds ? null : timeout,
                FailureThreshold = retries is null or ProbeSpec.DefaultFailureThreshold ? null : retries,
            };
        }

        /// <summary>An HTTP probe when the command is a curl or wget of a local http:// URL.</summary>
        private static ProbeSpec? HttpProbe(IReadOnlyList<string> command)
        {
            var words = command.SelectMany(c => c.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).Select(w => w.Trim('\'', '"')).ToList();
            if (!words.Any(w => w is "curl" or "wget" || w.EndsWith("/curl", StringComparison.Ordinal) || w.EndsWith("/wget", StringComparison.Ordinal)))
            {
                return null;
            }

            foreach (var word in words)
            {
                var match = LocalUrl().Match(word);
                if (match.Success)
                {
                    var port = match.Groups["port"].Success ? int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture) : 80;
                    var pathAndQuery = match.Groups["path"].Success && match.Groups["path"].Value.Length > 0 ? match.Groups["path"].Value : "/";
                    return port is >= 1 and <= 65535 ? ProbeSpec.Http(pathAndQuery, port) : null;
                }
            }

            return null;
        }

        /// <summary>A compose duration ("30s", "1m30s", "500ms") in whole seconds, rounded up.</summary>
        private int? Seconds(string path, YamlNode? node)
        {
            if (node is null || Scalar(path, node, "a duration such as '30s'") is not { } text)
            {
                return null;
            }

            var matches = DurationPart().Matches(text.Trim());
            if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != text.Trim())
            {
                Error(path, $"'{Shorten(text)}' (line {node.Line}) is not a duration such as 30s or 1m30s.");
                return null;
            }

            var total = 0d;
            foreach (Match match in matches)
            {
                var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                total += match.Groups[2].Value switch
                {
                    "h" => number * 3600,
                    "m" => number * 60,
                    "s" => number,
                    "ms" => number / 1000,
                    "us" or "µs" => number / 1_000_000,
                    _ => number / 1_000_000_000,
                };
            }

            return total > 86400 ? 86400 : Math.Max(1, (int)Math.Ceiling(total));
        }

        private List<VolumeSpec> Volumes(string path, YamlNode? node, List<string> notes, List<NotCarried> notCarried)
        {
            var volumes = new List<VolumeSpec>();
            var volumesPath = $"{path}.volumes";
            if (node is null or YamlScalar { IsNull: true })
            {
                return volumes;
            }

            if (node is not YamlSequence list)
            {
                Error(volumesPath, $"'volumes' (line {node.Line}) must be a list, such as ['data:/var/lib/data'].");
                return volumes;
            }

            for (var i = 0; i < list.Items.Count; i++)
            {
                var itemPath = $"{volumesPath}[{i}]";
                var item = list.Items[i];
                string type, source, target;
                if (item is YamlMapping mount)
                {
                    type = mount["type"] is { } typeNode ? Scalar($"{itemPath}.type", typeNode, "volume, bind or tmpfs") ?? "" : "volume";
                    source = mount["source"] is { } sourceNode ? Scalar($"{itemPath}.source", sourceNode, "a volume name") ?? "" : "";
                    target = mount["target"] is { } targetNode ? Scalar($"{itemPath}.target", targetNode, "a path in the container") ?? "" : "";
                }
                else if (Scalar(itemPath, item, "'name:/path'") is { } text)
                {
                    var parts = text.Split(':');
                    (source, target) = parts.Length == 1 ? ("", parts[0]) : (parts[0], parts[1]);
                    type = source.Length > 0 && (source[0] is '.' or '/' or '~' || source.Contains('/', StringComparison.Ordinal)) ? "bind" : "volume";
                    if (parts.Length > 2)
                    {
                        notCarried.Add(new(itemPath, $"The mount options '{parts[2]}' are not carried."));
                    }
                }
                else
                {
                    continue;
                }

                if (type != "volume")
                {
                    notCarried.Add(new(itemPath, type == "bind"
                        ? $"Host bind mount '{source}': a pod cannot mount a folder of your machine. Bake the files into the image, or use a named volume."
                        : $"A {type} mount is not carried."));
                    continue;
                }

                if (source.Length == 0)
                {
                    notCarried.Add(new(itemPath, $"Anonymous volume at '{target}': give it a name under the top-level volumes to keep its data."));
                    continue;
                }

                if (!declaredVolumes.ContainsKey(source))
                {
                    Error(itemPath, $"The volume '{source}' (line {item.Line}) is not declared under the top-level 'volumes'.");
                    continue;
                }

                if (!target.StartsWith('/'))
                {
                    Error(itemPath, $"The mount path '{target}' (line {item.Line}) must be an absolute path in the container.");
                    continue;
                }

                var name = KubernetesName(source);
                if (KubernetesNames.ValidateServiceName(name, "Volume name") is { } volumeError)
                {
                    Error(itemPath, $"'{source}' cannot be a volume name: {volumeError}");
                    continue;
                }

                volumes.Add(new VolumeSpec(name, DefaultVolumeSize, target, null, VolumeAccessMode.ReadWriteOnce));
                notes.Add($"Volume '{name}' at {target}: {DefaultVolumeSize}, ReadWriteOnce, the cluster's default StorageClass (compose does not give a size; change it in the request form).");
            }

            return volumes;
        }

        /// <summary>The text of a scalar, or an error naming <paramref name="path"/> when the node is a list or a mapping.</summary>
        private string? Scalar(string path, YamlNode node, string expected)
        {
            if (node is YamlScalar scalar)
            {
                return scalar.Value;
            }

            Error(path, $"Expected {expected} on line {node.Line}, found a {(node is YamlSequence ? "list" : "mapping")}.");
            return null;
        }

        private static string Shorten(string value) => KubernetesNames.Shorten(value);
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([bkmgt]b?)?\z", RegexOptions.IgnoreCase)]
    private static partial Regex MemoryGrammar();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^http://(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(:(?<port>\d{1,5}))?(?<path>/\S*)?\z", RegexOptions.IgnoreCase)]
    private static partial Regex LocalUrl();

    [GeneratedRegex(@"(?<!\$)\$[A-Za-z_]")]
    private static partial Regex DollarVariable();
}
