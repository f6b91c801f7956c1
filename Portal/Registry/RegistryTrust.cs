using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Portal.Registry;

/// <summary>
/// TLS decisions per registry: the system's trust by default, a configured CA bundle for a registry with a private
/// CA, or anything for one marked <c>Insecure</c>. Hosts that are not a configured registry (a blob redirect to
/// object storage) keep the system's trust.
/// </summary>
public sealed class RegistryTrust
{
    // Concurrent: the embedded Sandbox's registry is added once it serves, while other registries may be asked.
    private readonly ConcurrentDictionary<string, (bool Insecure, X509Certificate2Collection? Authorities)> byAuthority;

    public RegistryTrust(IOptions<RegistryOptions> options)
    {
        byAuthority = new(StringComparer.OrdinalIgnoreCase);
        foreach (var registry in options.Value.Registries)
        {
            Add(registry);
        }
    }

    /// <summary>Trusts what the registry's settings say (<c>Insecure</c>, <c>CaCertificateFile</c>); nothing more otherwise.</summary>
    internal void Add(RegistryEndpoint registry)
    {
        if (!registry.Insecure && string.IsNullOrWhiteSpace(registry.CaCertificateFile))
        {
            return;
        }

        X509Certificate2Collection? authorities = null;
        if (!registry.Insecure)
        {
            authorities = [];
            authorities.ImportFromPemFile(registry.CaCertificateFile!);
        }

        byAuthority[registry.BaseUri.Authority] = (registry.Insecure, authorities);
    }

    internal bool Validate(HttpRequestMessage request, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (request.RequestUri is null || !byAuthority.TryGetValue(request.RequestUri.Authority, out var trust))
        {
            return false;
        }

        if (trust.Insecure)
        {
            return true;
        }

        // Only the chain may fail: a certificate for another name stays refused even under a private CA.
        if (certificate is null || trust.Authorities is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trust.Authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        return custom.Build(certificate);
    }
}
