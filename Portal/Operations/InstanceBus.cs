using StackExchange.Redis;

namespace Portal.Operations;

/// <summary>
/// Carries the notifiers' messages to the other instances of the portal. A single instance (no
/// <c>ConnectionStrings:Redis</c>) has nothing to tell anyone: its bus does nothing and costs nothing. Handlers receive
/// only what other instances published; the publisher delivers to its own subscribers itself, without a round trip.
/// </summary>
public abstract class InstanceBus
{
    /// <summary>Whether messages reach other instances at all.</summary>
    public abstract bool CrossesInstances { get; }

    /// <summary>
    /// Sends <paramref name="message"/> to the other instances' subscribers of <paramref name="topic"/>, in order, without
    /// waiting. With <paramref name="keep"/>, the message is also kept under that key for <c>Ttl</c>, in the same step,
    /// so that an instance reading the key after subscribing misses nothing in between.
    /// </summary>
    public abstract void Publish(string topic, string message, (string Key, TimeSpan Ttl)? keep = null);

    /// <summary>Calls <paramref name="handler"/>, one message at a time, for what other instances publish on <paramref name="topic"/>.</summary>
    public abstract IDisposable Subscribe(string topic, Func<string, Task> handler);

    /// <summary>The last message kept under <paramref name="key"/>, if any (and reachable).</summary>
    public abstract Task<string?> KeptAsync(string key);
}

/// <summary>The bus of a single instance.</summary>
public sealed class InProcessBus : InstanceBus
{
    public override bool CrossesInstances => false;

    public override void Publish(string topic, string message, (string Key, TimeSpan Ttl)? keep = null)
    {
    }

    public override IDisposable Subscribe(string topic, Func<string, Task> handler) => NoSubscription.Instance;

    public override Task<string?> KeptAsync(string key) => Task.FromResult<string?>(null);

    private sealed class NoSubscription : IDisposable
    {
        public static readonly NoSubscription Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// Redis pub/sub on one channel for every topic: each instance reads it in order through one queue, and skips what it
/// published itself. Messages sent while an instance is cut off from Redis do not reach it (pages re-read on their next
/// change); the connection comes back by itself.
/// </summary>
public sealed class RedisBus : InstanceBus, IHostedService, IAsyncDisposable
{
    private const char Separator = '\n';

    private readonly string origin = Guid.NewGuid().ToString("n");
    private readonly Lock gate = new();
    private readonly Dictionary<string, Func<string, Task>[]> handlers = new(StringComparer.Ordinal);
    private readonly ConfigurationOptions configuration;
    private readonly RedisChannel channel;
    private readonly string keyPrefix;
    private readonly ILogger<RedisBus> logger;
    private ConnectionMultiplexer? redis;
    private ChannelMessageQueue? queue;

    public RedisBus(string connectionString, string prefix, ILogger<RedisBus> logger)
    {
        configuration = ConfigurationOptions.Parse(connectionString);
        // An instance starts (and keeps serving) while Redis is away; the multiplexer reconnects and subscribes again.
        configuration.AbortOnConnectFail = false;
        channel = RedisChannel.Literal($"{prefix}:bus");
        keyPrefix = $"{prefix}:";
        this.logger = logger;
    }

    public override bool CrossesInstances => true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        try
        {
            queue = await redis.GetSubscriber().SubscribeAsync(channel);
            queue.OnMessage(ReceiveAsync);
        }
        catch (RedisException e)
        {
            // Not reachable now: the multiplexer subscribes when it connects.
            logger.LogWarning("Redis is not reachable yet ({Error}); live updates from other instances start once it is", e.Message);
            queue = redis.GetSubscriber().Subscribe(channel);
            queue.OnMessage(ReceiveAsync);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (queue is not null)
        {
            await queue.UnsubscribeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    public override void Publish(string topic, string message, (string Key, TimeSpan Ttl)? keep = null)
    {
        if (redis is null)
        {
            return;
        }

        var envelope = string.Join(Separator, origin, topic, message);
        var database = redis.GetDatabase();
        try
        {
            if (keep is { } kept)
            {
                var transaction = database.CreateTransaction();
                _ = transaction.StringSetAsync(keyPrefix + kept.Key, message, kept.Ttl);
                _ = transaction.PublishAsync(channel, envelope);
                transaction.Execute(CommandFlags.FireAndForget);
            }
            else
            {
                database.Publish(channel, envelope, CommandFlags.FireAndForget);
            }
        }
        catch (RedisException e)
        {
            logger.LogWarning("Publishing to the other instances failed: {Error}", e.Message);
        }
    }

    public override IDisposable Subscribe(string topic, Func<string, Task> handler)
    {
        lock (gate)
        {
            handlers[topic] = [.. handlers.GetValueOrDefault(topic) ?? [], handler];
        }

        return new Subscription(this, topic, handler);
    }

    public override async Task<string?> KeptAsync(string key)
    {
        if (redis is null)
        {
            return null;
        }

        try
        {
            return await redis.GetDatabase().StringGetAsync(keyPrefix + key);
        }
        catch (RedisException e)
        {
            logger.LogWarning("Reading {Key} from Redis failed: {Error}", key, e.Message);
            return null;
        }
    }

    private async Task ReceiveAsync(ChannelMessage received)
    {
        var text = (string?)received.Message;
        var parts = text?.Split(Separator, 3);
        if (parts is not { Length: 3 } || parts[0] == origin)
        {
            return;
        }

        Func<string, Task>[] current;
        lock (gate)
        {
            current = handlers.GetValueOrDefault(parts[1]) ?? [];
        }

        foreach (var handler in current)
        {
            try
            {
                await handler(parts[2]);
            }
            catch (Exception e)
            {
                logger.LogError(e, "A subscriber to {Topic} failed on a message from another instance", parts[1]);
            }
        }
    }

    private sealed class Subscription(RedisBus bus, string topic, Func<string, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (bus.gate)
            {
                if (bus.handlers.TryGetValue(topic, out var list))
                {
                    bus.handlers[topic] = [.. list.Where(h => h != handler)];
                }
            }
        }
    }
}
