using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sandbox.Security;

/// <summary>
/// The Sandbox's own CA: created on first start (and kept beside the state when there is a state directory, so
/// kubeconfigs stay valid across restarts), and the loopback server certificate it signs at every start.
/// </summary>
internal sealed class CertificateAuthority : IDisposable
{
    private const string CertificateFile = "ca.crt";
    private const string KeyFile = "ca.key";

    private readonly X509Certificate2 ca;

    private CertificateAuthority(X509Certificate2 ca) => this.ca = ca;

    public string CertificatePem => this.ca.ExportCertificatePem();

    public static CertificateAuthority LoadOrCreate(string? directory)
    {
        if (directory is not null && File.Exists(Path.Combine(directory, CertificateFile)) && File.Exists(Path.Combine(directory, KeyFile)))
        {
            var loaded = X509Certificate2.CreateFromPemFile(Path.Combine(directory, CertificateFile), Path.Combine(directory, KeyFile));
            // Still valid for a good while: keep it; otherwise a new CA (and new kubeconfigs) is the honest answer.
            if (loaded.NotAfter > DateTime.UtcNow.AddDays(30))
            {
                return new CertificateAuthority(loaded);
            }
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sandbox-ca, O=Sandbox", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Certificates are checked against the clients' wall clocks, never the simulation's.
        var now = DateTimeOffset.UtcNow;
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, CertificateFile), ca.ExportCertificatePem());
            var keyPath = Path.Combine(directory, KeyFile);
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return new CertificateAuthority(ca);
    }

    /// <summary>A fresh server certificate for 127.0.0.1, ::1 and localhost, signed by this CA.</summary>
    public X509Certificate2 IssueServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sandbox-apiserver", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(this.ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(this.ca, now.AddMinutes(-5), Min(now.AddYears(1), this.ca.NotAfter.AddMinutes(-1)), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        // A PKCS#12 round trip gives a certificate whose key the TLS stack can use on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTime b) => a < b ? a : new DateTimeOffset(b.ToUniversalTime());

    public void Dispose() => this.ca.Dispose();
}
