using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Portal.Tests.Registry;

/// <summary>
/// A token service for docker-registry's <c>auth.token</c> mode, on a free loopback port: checks Basic credentials,
/// grants every requested scope and signs an RS256 JWT whose <c>x5c</c> header carries a self-signed certificate, the
/// one the registry trusts through its <c>rootcertbundle</c>. Counts the token requests it answers.
/// </summary>
public sealed class TokenService : IAsyncDisposable
{
    public const string Issuer = "portal-tests-token-service";
    public const string ServiceName = "portal-tests-registry";

    private readonly RSA key = RSA.Create(2048);
    private readonly X509Certificate2 certificate;
    private readonly WebApplication app;
    private int requests;

    private TokenService()
    {
        var request = new CertificateRequest("CN=" + Issuer, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.MapGet("/token", Answer);
    }

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Answers with <c>access_token</c> (the OAuth2 name) instead of <c>token</c>.</summary>
    public bool AnswersWithAccessToken { get; set; }

    public int ExpiresInSeconds { get; set; } = 300;

    public int Requests => Volatile.Read(ref requests);

    /// <summary>The last token handed out by the endpoint, so tests can check it never reaches a log.</summary>
    public string? LastIssued { get; private set; }

    public Uri Realm { get; private set; } = null!;

    public string CertificatePem => certificate.ExportCertificatePem();

    public static async Task<TokenService> StartAsync(string? username = null, string? password = null)
    {
        var service = new TokenService { Username = username, Password = password };
        await service.app.StartAsync();
        service.Realm = new Uri(service.app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/token");
        return service;
    }

    /// <summary>The <c>auth:</c> section for a registry that trusts this service.</summary>
    public async Task<string> RegistryAuthAsync(string folder)
    {
        var bundle = Path.Combine(folder, "token-root.pem");
        await File.WriteAllTextAsync(bundle, CertificatePem);
        return $"""
              token:
                realm: {Realm}
                service: {ServiceName}
                issuer: {Issuer}
                rootcertbundle: {bundle}

            """;
    }

    /// <summary>A token granting <paramref name="scopes"/> (<c>repository:team/app:pull,push</c>), as the service would issue it.</summary>
    public string Issue(string subject, params string[] scopes)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(certificate.RawData) } };
        var claims = new
        {
            iss = Issuer,
            sub = subject,
            aud = ServiceName,
            exp = now + ExpiresInSeconds,
            nbf = now - 1,
            iat = now,
            jti = Guid.NewGuid().ToString("n"),
            access = scopes.Select(Access).ToArray(),
        };
        var signed = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signed + "." + Base64Url(signature);
    }

    /// <summary>A Bearer header for the image pusher: push and pull on the repository.</summary>
    public AuthenticationHeaderValue PushAuthorization(string repository) =>
        new("Bearer", Issue("pusher", $"repository:{repository}:push,pull"));

    private IResult Answer(HttpRequest request)
    {
        Interlocked.Increment(ref requests);
        if (Username is not null && !HasCredentials(request))
        {
            return Results.Unauthorized();
        }

        if (request.Query["service"] != ServiceName)
        {
            return Results.BadRequest();
        }

        var token = Issue(Username ?? "anonymous", request.Query["scope"].Where(s => !string.IsNullOrEmpty(s)).ToArray()!);
        LastIssued = token;
        return AnswersWithAccessToken
            ? Results.Json(new { access_token = token, expires_in = ExpiresInSeconds })
            : Results.Json(new { token, expires_in = ExpiresInSeconds, issued_at = DateTimeOffset.UtcNow.ToString("O") });
    }

    private bool HasCredentials(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && header.Scheme == "Basic"
        && Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? "")) == $"{Username}:{Password}";

    private static object Access(string scope)
    {
        // repository:team/app:pull,push — the name sits between the first and the last colon.
        var first = scope.IndexOf(':');
        var last = scope.LastIndexOf(':');
        return new { type = scope[..first], name = scope[(first + 1)..last], actions = scope[(last + 1)..].Split(',') };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        certificate.Dispose();
        key.Dispose();
    }
}
