namespace Sandbox;

/// <summary>
/// Real time running <see cref="Speed"/> times faster from the moment it is created: clocks, timestamps and timers
/// all scaled, so a standalone Sandbox can play a ten-minute rollout in one minute with <c>--speed 10</c>.
/// </summary>
public sealed class AcceleratedTimeProvider : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _start;
    private readonly long _startTimestamp;

    public AcceleratedTimeProvider(double speed, TimeProvider? inner = null)
    {
        if (speed <= 0) throw new ArgumentOutOfRangeException(nameof(speed), "the speed must be positive");
        Speed = speed;
        _inner = inner ?? System;
        _start = _inner.GetUtcNow();
        _startTimestamp = _inner.GetTimestamp();
    }

    public double Speed { get; }

    public override DateTimeOffset GetUtcNow() => _start + (_inner.GetUtcNow() - _start) * Speed;

    public override long GetTimestamp() => _startTimestamp + (long)((_inner.GetTimestamp() - _startTimestamp) * Speed);

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_inner.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    private TimeSpan Scale(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span == TimeSpan.Zero ? span : span / Speed;

    private sealed class ScaledTimer(ITimer inner, AcceleratedTimeProvider time) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(time.Scale(dueTime), time.Scale(period));
        public void Dispose() => inner.Dispose();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
