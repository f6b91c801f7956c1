using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Portal.Identity;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

/// <summary>Data Protection keys shared through the database by several instances, encrypted by a certificate.</summary>
public sealed class KeyRingTests : IDisposable
{
    private const string Password = "pfx-password-for-tests";
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("portal-keyring");

    public void Dispose() => folder.Delete(recursive: true);

    [Fact]
    public async Task ACookieAndAnAntiforgeryTokenFromOneInstanceWorkOnAnotherOnTheSameDatabase()
    {
        var pfx = WritePfx();
        await using var a = await StartAsync(null, ("DataProtection:CertificateFile", pfx), ("DataProtection:CertificatePassword", Password));
        await using var b = await StartAsync(((PostgresPortalApp)a).ConnectionString, ("DataProtection:CertificateFile", pfx), ("DataProtection:CertificatePassword", Password));
        await using var alone = await PortalApp.StartAsync(("DataProtection:CertificateFile", pfx), ("DataProtection:CertificatePassword", Password));
        var cookies = new CookieContainer();
        using var onA = Client(a, cookies);
        using var onB = Client(b, cookies);
        using var onAlone = Client(alone, cookies);

        // The form comes from A, the sign-in goes to B: B must unprotect A's antiforgery token.
        var signIn = await PostSignInAsync(onA, onB);
        var onBAfterSignIn = await onB.GetAsync("/api/requests/999999");
        var onAWithBsCookie = await onA.GetAsync("/api/requests/999999");
        var onAloneWithBsCookie = await onAlone.GetAsync("/api/requests/999999");

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onBAfterSignIn.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onAWithBsCookie.StatusCode);
        // An instance with keys of its own (SQLite, data folder) does not accept the cookie: the sharing above is real.
        Assert.Equal(HttpStatusCode.Unauthorized, onAloneWithBsCookie.StatusCode);
    }

    [Fact]
    public async Task KeysStoredInTheDatabaseAreEncryptedByTheCertificate()
    {
        var (certificate, key) = WritePem();
        await using var app = await StartAsync(null, ("DataProtection:CertificateFile", certificate), ("DataProtection:CertificateKeyFile", key));
        await app.CreateBrowserlikeClient().GetStringAsync("/account/signin");

        var xml = Assert.Single(await app.WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml).ToListAsync()))!;

        Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutACertificateTheStoredKeyIsPlainXmlSoTheTestAboveCanFail()
    {
        await using var app = await StartAsync(null);
        await app.CreateBrowserlikeClient().GetStringAsync("/account/signin");

        var xml = Assert.Single(await app.WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml).ToListAsync()))!;

        Assert.Contains("<masterKey", xml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingCertificateFileStopsTheStartNamingTheSetting()
    {
        var missing = Path.Combine(folder.FullName, "missing.pfx");

        var error = await StartFailureAsync(("DataProtection:CertificateFile", missing));

        Assert.Contains($"DataProtection:CertificateFile names '{missing}', which does not exist.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACertificateFileThatIsNoCertificateStopsTheStartNamingTheSetting()
    {
        var garbage = Path.Combine(folder.FullName, "garbage.pfx");
        await File.WriteAllTextAsync(garbage, "not a certificate");

        var error = await StartFailureAsync(("DataProtection:CertificateFile", garbage), ("DataProtection:CertificatePassword", Password));

        Assert.Contains($"DataProtection:CertificateFile '{garbage}' is not a PFX or PEM certificate", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error, StringComparison.Ordinal);
    }

    private static async Task<PortalApp> StartAsync(string? connectionString, params (string Key, string? Value)[] settings)
    {
        var app = new PostgresPortalApp { ConnectionString = connectionString };
        foreach (var (key, value) in settings)
        {
            app.With(key, value);
        }

        await app.InitializeAsync();
        return app;
    }

    private static async Task<string> StartFailureAsync(params (string Key, string? Value)[] settings)
    {
        var app = new PortalApp();
        foreach (var (key, value) in settings)
        {
            app.With(key, value);
        }

        try
        {
            await app.InitializeAsync();
        }
        catch (Exception e)
        {
            return string.Join(" | ", Chain(e).Select(x => x.Message));
        }
        finally
        {
            await app.DisposeAsync();
        }

        throw new Xunit.Sdk.XunitException("The portal started.");
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static HttpClient Client(PortalApp app, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

    private static async Task<HttpResponseMessage> PostSignInAsync(HttpClient formFrom, HttpClient postTo)
    {
        var page = await formFrom.GetStringAsync("/account/signin");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        return await postTo.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "signin",
            ["Input.UserName"] = "alice",
            ["Input.Password"] = DemoData.Password,
        }));
    }

    private string WritePfx()
    {
        using var certificate = SelfSigned(out _);
        var path = Path.Combine(folder.FullName, "keys.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, Password));
        return path;
    }

    private (string Certificate, string Key) WritePem()
    {
        using var certificate = SelfSigned(out var rsa);
        var certificatePath = Path.Combine(folder.FullName, "keys.crt");
        var keyPath = Path.Combine(folder.FullName, "keys.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        rsa.Dispose();
        return (certificatePath, keyPath);
    }

    private static X509Certificate2 SelfSigned(out RSA rsa)
    {
        rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=selfservice-portal data protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
