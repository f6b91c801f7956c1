using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
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
        Assert.NotNull(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task WithoutAnOtlpEndpointNoTracesAreMadeButMetricsAreServed()
    {
        await using var app = await PortalApp.StartAsync();

        // Nothing would read them: no tracer provider, so requests, HTTP calls and EF commands pay for no spans.
        Assert.Null(app.Services.GetService<TracerProvider>());
        var client = app.CreateBrowserlikeClient();
        await client.GetAsync("/account/signin");
        var metrics = "";
        await Poll.UntilAsync(async () => (metrics = await client.GetStringAsync("/metrics")).Contains("http_server_request_duration_seconds", StringComparison.Ordinal), TimeSpan.FromSeconds(15), failOnTimeout: false);
        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
    }
}
