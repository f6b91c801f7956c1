using Microsoft.Extensions.Options;

namespace Portal.Cluster;

public static class ClusterExtensions
{
    public const string EnvironmentsSection = "Environments";

    public static void AddCluster(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EnvironmentCatalog>()
            .Configure<IConfiguration>((catalog, configuration) =>
            {
                var configured = configuration.GetSection(EnvironmentsSection).Get<List<DeploymentEnvironment>>();
                catalog.Environments = configured is { Count: > 0 } ? configured : [.. EnvironmentCatalog.Defaults];
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EnvironmentCatalog>, EnvironmentCatalogValidation>();

        builder.Services.AddOptions<EmbeddedSandboxOptions>().BindConfiguration(EmbeddedSandboxOptions.Section)
            .Validate(o => o.Speed is > 0 and <= 1000, "Sandbox:Speed must be above 0 and at most 1000.")
            .Validate(o => o.Port is >= 0 and <= 65535, "Sandbox:Port must be between 0 and 65535.")
            .ValidateOnStart();
        builder.Services.AddSingleton<EmbeddedSandbox>();
        if (ClusterConnections.UsesEmbeddedSandbox(builder.Configuration))
        {
            builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddedSandbox>());
        }

        builder.Services.AddSingleton<ClusterConnections>();
        builder.Services.AddSingleton<LiveDiff>();
        builder.Services.AddSingleton<CapacityCheck>();
        builder.Services.AddSingleton<StorageClassCheck>();
        builder.Services.AddSingleton<ClusterHealth>();
    }
}

/// <summary>Names the bad key (<c>Environments:1:MaxReplicas</c>) so a wrong setting stops the app at start with a clear message.</summary>
internal sealed class EnvironmentCatalogValidation(IConfiguration configuration) : IValidateOptions<EnvironmentCatalog>
{
    public ValidateOptionsResult Validate(string? name, EnvironmentCatalog options)
    {
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Environments.Count; i++)
        {
            var environment = options.Environments[i];
            var key = $"{ClusterExtensions.EnvironmentsSection}:{i}";
            if (KubernetesNames.ValidateLabel(environment.Name, $"{key}:Name") is { } nameError)
            {
                failures.Add(nameError);
            }
            else if (!seen.Add(environment.Name))
            {
                failures.Add($"{key}:Name '{environment.Name}' is configured twice.");
            }

            if (environment.MaxReplicas < 1)
            {
                failures.Add($"{key}:MaxReplicas must be at least 1 (it is {environment.MaxReplicas}).");
            }

            if (!environment.NamespacePattern.Contains("{team}", StringComparison.Ordinal))
            {
                failures.Add($"{key}:NamespacePattern must contain {{team}} so that teams get separate namespaces.");
            }

            if (environment.ProgressDeadlineSeconds is < 1)
            {
                failures.Add($"{key}:ProgressDeadlineSeconds must be at least 1 when set.");
            }

            foreach (var (setting, value) in new[] { ("MaxCpu", environment.MaxCpu), ("MaxMemory", environment.MaxMemory) })
            {
                if (value is not null && (!Quantity.TryParse(value, out var cap) || cap <= 0))
                {
                    failures.Add($"{key}:{setting} must be a positive Kubernetes quantity (it is '{value}').");
                }
            }

            if (string.IsNullOrWhiteSpace(environment.Cluster))
            {
                failures.Add($"{key}:Cluster must name a cluster.");
            }
            else if (environment.Cluster != ClusterOptions.DefaultName && !configuration.GetSection($"{ClusterOptions.Section}:{environment.Cluster}").Exists())
            {
                failures.Add($"{key}:Cluster '{environment.Cluster}' is not configured under {ClusterOptions.Section}.");
            }

            for (var w = 0; w < environment.FreezeWindows.Count; w++)
            {
                failures.AddRange(environment.FreezeWindows[w].Errors().Select(e => $"{key}:FreezeWindows:{w}:{e.Key}: {e.Value[0]}"));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
