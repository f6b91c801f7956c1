using System.Security.Cryptography;
using System.Text;
using Sandbox.Api;

namespace Sandbox.Security;

/// <summary>
/// Bearer-token authentication like a real API server's: every request needs <c>Authorization: Bearer &lt;token&gt;</c>
/// and gets a 401 Status without it, except the endpoints a real server leaves to anonymous users by default
/// (<c>/version</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/livez</c>).
/// </summary>
internal static class BearerTokenCheck
{
    private static readonly HashSet<string> Anonymous = ["/version", "/healthz", "/readyz", "/livez"];

    public static void UseBearerToken(this WebApplication app, string token)
    {
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        app.Use(async (context, next) =>
        {
            if (Anonymous.Contains(context.Request.Path.Value ?? "")) { await next(context); return; }
            // The demo registry is public, like an anonymous pull from a public registry.
            if (context.Request.Path.StartsWithSegments(Registry.RegistryEndpoints.PathPrefix)) { await next(context); return; }
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (CryptographicOperations.FixedTimeEquals(given, expected)) { await next(context); return; }
            await ResourceApi.WriteAsync(context, 401, ApiStatus.Failure(401, "Unauthorized", "Unauthorized"));
        });
    }

    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
