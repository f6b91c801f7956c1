using System.Net.Sockets;

namespace Portal.Tests.Infrastructure;

/// <summary>Debian's <c>redis-server</c> on a free loopback port, in memory only, for the tests that need one.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private ChildProcess? process;

    public int Port { get; private set; }

    /// <summary>The value for <c>ConnectionStrings:Redis</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        const string server = "/usr/bin/redis-server";
        if (!File.Exists(server))
        {
            throw new InvalidOperationException("redis-server is missing: apt-get install redis-server (test.sh installs it).");
        }

        Port = ChildProcess.FreePort();
        process = ChildProcess.Start("redis", server, ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]);
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return true;
            }
            catch (SocketException)
            {
                return process.HasExited ? throw new InvalidOperationException("redis-server stopped: " + process.Tail()) : false;
            }
        }, TimeSpan.FromSeconds(30), "redis-server did not start listening");
    }

    public async Task DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }
    }
}
