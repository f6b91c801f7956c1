using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// The hub connections of this instance that follow a rollout with <c>JoinRollout</c>, one room per rollout. Each new
/// snapshot is told once as a <see cref="RolloutChange"/> from the one the room sent before, serialized once per
/// protocol and written to every member (as SignalR's group sends do) in the order the notifier hands them over. A
/// member that joins is sent the room's latest snapshot whole, in that same order, so every change it gets next applies
/// to what it holds: joins and snapshots go through one queue per room.
/// Only this instance's connections: with several instances each one's notifier gets every snapshot (through the
/// <see cref="Operations.InstanceBus"/>) and tells its own members; a send through the backplane would reach each
/// client once per instance.
/// </summary>
public sealed class RolloutRooms(RolloutNotifier notifier, RequestNotifier requestNotifier, TimeProvider time, ILogger<RolloutRooms> logger)
{
    private readonly RolloutNotifier notifier = notifier;
    private readonly RequestNotifier requestNotifier = requestNotifier;
    private readonly TimeProvider time = time;
    private readonly ILogger<RolloutRooms> logger = logger;

    /// <summary>The client method each change is sent to: <c>connection.On&lt;RolloutChange&gt;("RolloutChanged", ...)</c>.</summary>
    public const string ClientMethod = "RolloutChanged";

    private readonly Lock gate = new();
    private readonly Dictionary<int, Room> rooms = [];

    /// <summary>Rollouts followed by at least one connection of this instance.</summary>
    internal int Count
    {
        get
        {
            lock (gate)
            {
                return rooms.Count;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="connection"/> to the rollout's room and sends it the latest snapshot whole (from the room, or
    /// <paramref name="latest"/> when the room has sent nothing yet); completes once that message is written. A finished
    /// rollout sends its final snapshot and keeps nobody.
    /// </summary>
    public Task JoinAsync(HubConnectionContext connection, int requestId, Func<CancellationToken, Task<RolloutSnapshot>> latest)
    {
        var join = new Join(connection, latest);
        lock (gate)
        {
            if (!rooms.TryGetValue(requestId, out var room))
            {
                rooms[requestId] = room = new Room(this, requestId);
                room.Open();
            }

            room.Post(join);
        }

        return join.Done.Task;
    }

    /// <summary>The connection stops following the rollout (it asked, or it is gone).</summary>
    public void Leave(string connectionId, int requestId)
    {
        lock (gate)
        {
            rooms.GetValueOrDefault(requestId)?.Post(new Leaving(connectionId));
        }
    }

    /// <summary>A closed connection leaves every room.</summary>
    public void Disconnected(string connectionId)
    {
        lock (gate)
        {
            foreach (var room in rooms.Values)
            {
                room.Post(new Leaving(connectionId));
            }
        }
    }

    private sealed record Join(HubConnectionContext Connection, Func<CancellationToken, Task<RolloutSnapshot>> Latest)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record Leaving(string ConnectionId);

    /// <summary>How long a room waits for a viewer whose previous message is still unsent before it closes that viewer.</summary>
    internal static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(1);

    /// <summary>A viewer in a room, with its write still in flight (null when none is).</summary>
    private sealed class Member(HubConnectionContext connection)
    {
        public HubConnectionContext Connection { get; } = connection;

        public Task? Writing { get; set; }
    }

    private sealed class Room(RolloutRooms rooms, int requestId)
    {
        // The notifier's thread carries on into the loop (AllowSynchronousContinuations), so a snapshot is written to the
        // members without a thread-pool hop; while a write waits, what comes meanwhile queues here.
        private readonly Channel<object> queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        private readonly Dictionary<string, Member> members = new(StringComparer.Ordinal);
        private IDisposable? subscription;
        private RolloutSnapshot? sent;
        private SerializedHubMessage? whole;
        private int pendingJoins;
        private bool closed;

        /// <summary>Called under the rooms' lock.</summary>
        public void Post(object item)
        {
            if (item is Join)
            {
                pendingJoins++;
            }

            queue.Writer.TryWrite(item);
        }

        public void Open()
        {
            subscription = RolloutStreams.Subscribe(rooms.notifier, rooms.requestNotifier, rooms.time, requestId, snapshot => queue.Writer.TryWrite(snapshot));
            _ = Task.Run(RunAsync);
        }

        private async Task RunAsync()
        {
            await foreach (var item in queue.Reader.ReadAllAsync())
            {
                try
                {
                    switch (item)
                    {
                        case Join join:
                            await JoinAsync(join);
                            break;
                        case Leaving leaving:
                            members.Remove(leaving.ConnectionId);
                            break;
                        case RolloutSnapshot snapshot:
                            await SendAsync(snapshot);
                            break;
                    }
                }
                catch (Exception e)
                {
                    rooms.logger.LogError(e, "The hub room of request {RequestId}'s rollout failed to send", requestId);
                }

                if (members.Count == 0 || sent is { IsFinal: true })
                {
                    TryClose();
                }
            }
        }

        private async Task JoinAsync(Join join)
        {
            try
            {
                sent ??= await join.Latest(join.Connection.ConnectionAborted);
                whole ??= Message(RolloutChange.Between(null, sent));
                try
                {
                    await join.Connection.WriteAsync(whole).AsTask().WaitAsync(StuckAfter);
                }
                catch (TimeoutException)
                {
                    // Joining again while it has stopped reading: closed like any stalled viewer.
                    join.Connection.Abort();
                    members.Remove(join.Connection.ConnectionId);
                    throw;
                }

                if (!sent.IsFinal && !join.Connection.ConnectionAborted.IsCancellationRequested)
                {
                    // Joining twice keeps one membership: the second join only sends the whole snapshot again.
                    members[join.Connection.ConnectionId] = new Member(join.Connection);
                }

                join.Done.TrySetResult();
            }
            catch (Exception e)
            {
                join.Done.TrySetException(e);
            }
            finally
            {
                lock (rooms.gate)
                {
                    pendingJoins--;
                }
            }
        }

        private async Task SendAsync(RolloutSnapshot snapshot)
        {
            if (sent is not null && (sent.IsFinal || snapshot.At <= sent.At))
            {
                // Already sent (read as the latest by a join), older, or after the end.
                return;
            }

            var message = Message(RolloutChange.Between(sent, snapshot));
            sent = snapshot;
            whole = null;
            await DropStuckAsync();
            foreach (var member in members.Values)
            {
                var write = member.Connection.WriteAsync(message);
                // Not awaited: the next message waits for it (each member gets them in order), nobody else does.
                member.Writing = write.IsCompletedSuccessfully ? null : write.AsTask();
            }

            if (snapshot.IsFinal)
            {
                members.Clear();
            }
        }

        /// <summary>
        /// Before the next message: members whose previous one is still waiting for room in their connection's buffer
        /// (about 32 KB, and the socket's beyond it) get <see cref="StuckAfter"/> to take it; one that has not by then stopped
        /// reading, and is closed (a client that connects again is sent the whole latest snapshot). So a stalled viewer
        /// holds its room's other viewers back once, and briefly, instead of until its connection times out.
        /// </summary>
        private async Task DropStuckAsync()
        {
            List<Member>? pending = null;
            foreach (var member in members.Values)
            {
                if (member.Connection.ConnectionAborted.IsCancellationRequested || member.Writing is { IsCompleted: false })
                {
                    (pending ??= []).Add(member);
                }
            }

            if (pending is null)
            {
                return;
            }

            var writes = pending.Select(m => m.Writing).OfType<Task>().Where(w => !w.IsCompleted).ToList();
            if (writes.Count > 0)
            {
                // Real time: this is about a viewer's latency, whatever clock the rollouts are judged by.
                await Task.WhenAny(Task.WhenAll(writes), Task.Delay(StuckAfter));
            }

            foreach (var member in pending)
            {
                if (member.Writing is { IsCompleted: false })
                {
                    rooms.logger.LogInformation("Closing hub connection {ConnectionId}: it stopped reading the rollout of request {RequestId}", member.Connection.ConnectionId, requestId);
                    member.Connection.Abort();
                    members.Remove(member.Connection.ConnectionId);
                }
                else if (member.Connection.ConnectionAborted.IsCancellationRequested)
                {
                    members.Remove(member.Connection.ConnectionId);
                }
            }
        }

        private static SerializedHubMessage Message(RolloutChange change) => new(new InvocationMessage(ClientMethod, [change]));

        /// <summary>Nobody left to tell (or the rollout ended): the room goes, unless a join is on its way in.</summary>
        private void TryClose()
        {
            lock (rooms.gate)
            {
                if (closed || pendingJoins > 0 || (members.Count > 0 && sent is not { IsFinal: true }))
                {
                    return;
                }

                closed = true;
                rooms.rooms.Remove(requestId);
                queue.Writer.TryComplete();
            }

            subscription?.Dispose();
        }
    }
}
