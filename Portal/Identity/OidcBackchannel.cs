using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Portal.Identity;

/// <summary>
/// The HTTP handler the OpenID Connect handler talks to the provider through (discovery, keys, token, user info). With
/// <c>Authentication:Oidc:CaCertificateFile</c> it also trusts that private CA; the name on the certificate is still checked.
/// </summary>
internal static class OidcBackchannel
{
    public static HttpMessageHandler TrustingAuthoritiesIn(string caCertificateFile)
    {
        X509Certificate2Collection authorities = [];
        authorities.ImportFromPemFile(caCertificateFile);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(authorities, certificate as X509Certificate2, chain, errors),
            },
        };
    }

    private static bool Validate(X509Certificate2Collection authorities, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // Only the chain may fail: a certificate for another name stays refused under a private CA too.
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        return custom.Build(certificate);
    }

    public static bool HoldsCertificates(string file)
    {
        try
        {
            X509Certificate2Collection certificates = [];
            certificates.ImportFromPemFile(file);
            return certificates.Count > 0;
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
