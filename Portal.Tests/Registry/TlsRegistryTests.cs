using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portal.Registry;

namespace Portal.Tests.Registry;

/// <summary>docker-registry over HTTPS with a certificate for 127.0.0.1 signed by a CA the test makes (and the machine does not trust).</summary>
public sealed class TlsRegistryFixture : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;

    public string CaFile { get; private set; } = "";

    public string Digest { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var folder = TestFolder.Create("registry-tls");
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=portal-tests-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, now.AddHours(-1), now.AddHours(12), RandomNumberGenerator.GetBytes(8));

        CaFile = Path.Combine(folder, "ca.pem");
        var certificate = Path.Combine(folder, "registry.pem");
        var key = Path.Combine(folder, "registry.key");
        await File.WriteAllTextAsync(CaFile, ca.ExportCertificatePem());
        await File.WriteAllTextAsync(certificate, server.ExportCertificatePem());
        await File.WriteAllTextAsync(key, serverKey.ExportPkcs8PrivateKeyPem());
        Registry = await LocalRegistry.StartAsync(tls: $"    certificate: {certificate}\n    key: {key}\n", folder: folder);
        using var pusher = new ImagePusher(Registry.Url);
        Digest = await pusher.PushImageAsync("team/app", "1.0.0", "2024-01-01T00:00:00Z");
    }

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

public sealed class TlsRegistryTests(TlsRegistryFixture fixture) : IClassFixture<TlsRegistryFixture>
{
    private string App => $"{fixture.Registry.Host}/team/app";

    [Fact]
    public async Task ARegistryWithAPrivateCaIsTrustedThroughItsCaCertificateFile()
    {
        await using var feature = RegistryFeature.Create(
            [.. RegistryFeature.OneRegistry(fixture.Registry.Url), ("Registries:0:CaCertificateFile", fixture.CaFile)]);

        var resolution = await feature.Catalog.ResolveAsync(App, "1.0.0");

        Assert.Equal(fixture.Digest, resolution.Digest);
    }

    [Fact]
    public async Task ARegistryWithAnUntrustedCertificateIsUnreachable()
    {
        await using var feature = RegistryFeature.Create(RegistryFeature.OneRegistry(fixture.Registry.Url));

        var resolution = await feature.Catalog.ResolveAsync(App, "1.0.0");

        Assert.Equal(RegistryStatus.Unreachable, resolution.Status);
        Assert.Equal("The registry 'local' cannot be reached (TLS handshake failed).", resolution.Message);
    }

    [Fact]
    public async Task AnInsecureRegistryIsReachedWhateverItsCertificate()
    {
        await using var feature = RegistryFeature.Create([.. RegistryFeature.OneRegistry(fixture.Registry.Url), ("Registries:0:Insecure", "true")]);

        var listing = await feature.Catalog.TagsAsync(App);

        Assert.Equal(fixture.Digest, listing.Tags.Single().Digest);
    }
}
