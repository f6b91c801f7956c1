using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Identity;

/// <summary>
/// A real OpenID Connect provider (the npm package oidc-provider, run by node) over HTTPS on loopback, with a
/// certificate from a CA made for this test. Its users and their groups live in a file the test rewrites.
/// </summary>
public sealed class LoopbackOidcProvider : IAsyncDisposable
{
    public const string ClientId = "selfservice-portal";
    public const string ClientSecret = "loopback-client-secret";

    private readonly Process process;
    private readonly string directory;

    private LoopbackOidcProvider(Process process, string directory, Uri issuer)
    {
        this.process = process;
        this.directory = directory;
        Issuer = issuer;
    }

    public Uri Issuer { get; }

    /// <summary>The PEM file of the CA the provider's certificate chains to: what <c>Authentication:Oidc:CaCertificateFile</c> names.</summary>
    public string CaCertificateFile => Path.Combine(directory, "ca.pem");

    private string UsersFile => Path.Combine(directory, "users.json");

    /// <summary>Starts node on the provider script; the client is registered once <see cref="RegisterClientAsync"/> names its redirect URI.</summary>
    public static async Task<LoopbackOidcProvider> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "portal-tests-oidc", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        WriteCertificates(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "users.json"), "{}");
        await File.WriteAllTextAsync(Path.Combine(directory, "settings.json"), JsonSerializer.Serialize(new
        {
            key = Path.Combine(directory, "idp.key"),
            cert = Path.Combine(directory, "idp.crt"),
            host = "localhost",
            clientId = ClientId,
            clientSecret = ClientSecret,
            usersFile = Path.Combine(directory, "users.json"),
        }));

        var tools = await NpmPackages.InstallAsync(
            Path.Combine(RepositoryRoot.Folder, "Portal.Tests", "Identity", "OidcProvider"), "oidc-provider", Path.Combine("node_modules", "oidc-provider"), "provider.mjs");

        var start = new ProcessStartInfo("node") { WorkingDirectory = tools, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(tools, "provider.mjs"));
        start.ArgumentList.Add(Path.Combine(directory, "settings.json"));
        var process = Process.Start(start)!;
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        process.BeginErrorReadLine();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The OpenID Connect provider did not start: {line}\n{errors}");
        }

        return new LoopbackOidcProvider(process, directory, new Uri(line["listening ".Length..]));
    }

    public async Task RegisterClientAsync(Uri redirectUri)
    {
        await process.StandardInput.WriteLineAsync(redirectUri.ToString());
        await process.StandardInput.FlushAsync();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("ready", line);
    }

    /// <summary>Sets a user's groups at the provider; the next sign-in sees them.</summary>
    public async Task SetUserAsync(string login, string name, params string[] groups)
    {
        var users = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(await File.ReadAllTextAsync(UsersFile))!;
        users[login] = JsonSerializer.SerializeToElement(new { name, groups });
        await File.WriteAllTextAsync(UsersFile, JsonSerializer.Serialize(users));
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void WriteCertificates(string directory)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Portal tests OIDC CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var leaf = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(Path.Combine(directory, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "idp.crt"), leaf.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "idp.key"), key.ExportPkcs8PrivateKeyPem());
    }
}
