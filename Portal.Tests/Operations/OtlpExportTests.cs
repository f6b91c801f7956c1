using System.Net;
using System.Net.Sockets;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Operations;

public sealed class OtlpExportTests
{
    [Fact]
    public async Task WithAnOtlpEndpointTheTracesOfARequestAreSentToIt()
    {
        using var collector = new TcpListener(IPAddress.Loopback, 0);
        collector.Start();
        var port = ((IPEndPoint)collector.LocalEndpoint).Port;
        await using var app = await PortalApp.StartAsync(("OpenTelemetry:OtlpEndpoint", $"http://127.0.0.1:{port}"));

        await app.CreateBrowserlikeClient().GetAsync("/account/signin");

        // The batch of spans is exported within seconds: a gRPC connection (HTTP/2 preface) reaches the collector.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var connection = await collector.AcceptTcpClientAsync(timeout.Token);
        var preface = new byte[24];
        await connection.GetStream().ReadExactlyAsync(preface, timeout.Token);
        Assert.Equal("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", System.Text.Encoding.ASCII.GetString(preface));
    }
}
