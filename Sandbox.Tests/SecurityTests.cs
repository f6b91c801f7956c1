using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>HTTPS with the Sandbox's own CA and bearer-token authentication.</summary>
public sealed class SecurityTests
{
    [Fact]
    public async Task RequestsWithoutTheTokenAreRefusedWithAnUnauthorizedStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = TrustingClient(cluster);

        var anonymous = await http.GetAsync($"{cluster.Host.ServerUrl}/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(("Status", "Failure", "Unauthorized", 401), (status.Kind, status.Status, status.Reason, status.Code!.Value));

        // Like a real server's defaults, version and health are public.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{cluster.Host.ServerUrl}/version")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{cluster.Host.ServerUrl}/readyz")).StatusCode);
    }

    [Fact]
    public async Task AClientWithAWrongTokenIsRefused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath);
        config.AccessToken = "wrong";
        using var k8s = new Kubernetes(config);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => k8s.CoreV1.ListNamespaceAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
    }

    [Fact]
    public async Task TheServerCertificateIsIssuedByTheSandboxCaForLoopbackNames()
    {
        await using var cluster = await TestCluster.StartAsync();
        X509Certificate2? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => { seen = new X509Certificate2(certificate!); return true; },
        };
        using var http = new HttpClient(handler);
        await http.GetAsync($"{cluster.Host.ServerUrl}/version");

        using var ca = X509Certificate2.CreateFromPem(cluster.Host.CaPem);
        Assert.NotNull(seen);
        Assert.Equal(ca.Subject, seen!.Issuer);
        var names = seen.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.Contains(IPAddress.Loopback, names.EnumerateIPAddresses());
        Assert.Contains(IPAddress.IPv6Loopback, names.EnumerateIPAddresses());
        Assert.StartsWith("https://127.0.0.1:", cluster.Host.ServerUrl);
    }

    internal static HttpClient TrustingClient(TestCluster cluster)
    {
        var ca = X509Certificate2.CreateFromPem(cluster.Host.CaPem);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate!);
            },
        };
        return new HttpClient(handler, disposeHandler: true);
    }
}
