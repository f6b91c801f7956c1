namespace Sandbox;

/// <summary>
/// Real time running <see cref="Speed"/> times faster from the moment it is created: clocks, timestamps and timers
/// all scaled, so a standalone Sandbox can play a ten-minute rollout in one minute with <c>--speed 10</c>.
/// </summary>
public sealed class AcceleratedTimeProvider : TimeProvider
{
    private readonly TimeProvider inner;
    private readonly DateTimeOffset start;
    private readonly long startTimestamp;

    public AcceleratedTimeProvider(double speed, TimeProvider? inner = null)
    {
        if (speed <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(speed), "the speed must be positive");
        }

        Speed = speed;
        this.inner = inner ?? System;
        start = this.inner.GetUtcNow();
        startTimestamp = this.inner.GetTimestamp();
    }

    public double Speed { get; }

    public override DateTimeOffset GetUtcNow() => start + (this.inner.GetUtcNow() - start) * Speed;

    public override long GetTimestamp() => startTimestamp + (long)((this.inner.GetTimestamp() - startTimestamp) * Speed);

    public override long TimestampFrequency => this.inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => this.inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(this.inner.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    private TimeSpan Scale(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span == TimeSpan.Zero ? span : span / Speed;

    private sealed class ScaledTimer(ITimer inner, AcceleratedTimeProvider time) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(time.Scale(dueTime), time.Scale(period));
        public void Dispose() => inner.Dispose();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
