namespace Portal.Releases;

/// <summary>
/// A time in which an environment takes no changes: either recurring every week (<see cref="StartDay"/> at
/// <see cref="StartTime"/> until <see cref="EndDay"/> at <see cref="EndTime"/>, wall-clock time in <see cref="TimeZone"/>)
/// or one-off (<see cref="From"/> until <see cref="To"/>). Set under <c>Environments:N:FreezeWindows</c> or on the Admin
/// page (stored, with <see cref="Environment"/>).
/// </summary>
public sealed class FreezeWindow
{
    public int Id { get; set; }

    /// <summary>The environment of a stored window; a configured window belongs to the environment it is listed under.</summary>
    public string Environment { get; set; } = "";

    public DayOfWeek? StartDay { get; set; }

    public TimeOnly? StartTime { get; set; }

    public DayOfWeek? EndDay { get; set; }

    public TimeOnly? EndTime { get; set; }

    /// <summary>An IANA time zone name (<c>Europe/Berlin</c>); the recurring times are wall-clock times there.</summary>
    public string TimeZone { get; set; } = "UTC";

    public DateTimeOffset? From { get; set; }

    public DateTimeOffset? To { get; set; }

    public string Reason { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public bool IsRecurring => StartDay is not null;

    /// <summary>What is wrong with the window, by property name; empty when it is usable.</summary>
    public Dictionary<string, string[]> Errors()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Reason))
        {
            errors[nameof(Reason)] = ["Say why the environment is frozen: people who are refused read it."];
        }
        else if (Reason.Length > 500)
        {
            errors[nameof(Reason)] = ["The reason is at most 500 characters."];
        }

        if (IsRecurring || StartTime is not null || EndDay is not null || EndTime is not null)
        {
            if (StartDay is null || StartTime is null)
            {
                errors[nameof(StartDay)] = ["A recurring window needs a start day and time."];
            }

            if (EndDay is null || EndTime is null)
            {
                errors[nameof(EndDay)] = ["A recurring window needs an end day and time."];
            }
            else if (EndDay == StartDay && EndTime == StartTime)
            {
                errors[nameof(EndTime)] = ["The window ends when it starts."];
            }

            if (!TryZone(TimeZone, out _))
            {
                errors[nameof(TimeZone)] = [$"'{TimeZone}' is not a known time zone (use an IANA name such as Europe/Berlin)."];
            }

            if (From is not null || To is not null)
            {
                errors[nameof(From)] = ["A window is either recurring (days and times) or one-off (from, to), not both."];
            }
        }
        else if (From is null || To is null)
        {
            errors[nameof(From)] = ["Give either a recurring window (start and end day and time) or a one-off range (from, to)."];
        }
        else if (To <= From)
        {
            errors[nameof(To)] = ["The end must be after the start."];
        }

        return errors;
    }

    /// <summary>
    /// When the window is in force at <paramref name="at"/>, the moment it ends; otherwise null. A recurring window is
    /// judged in wall-clock time of its zone, so "Mon 08:00" is 08:00 local on both sides of a daylight-saving change.
    /// </summary>
    public DateTimeOffset? EndIfActive(DateTimeOffset at)
    {
        if (!IsRecurring)
        {
            return From <= at && at < To ? To : null;
        }

        if (StartTime is not { } startTime || EndDay is not { } endDay || EndTime is not { } endTime || !TryZone(TimeZone, out var zone))
        {
            return null;
        }

        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        // The latest start at or before now, then the first end after that start.
        var start = Enumerable.Range(0, 8)
            .Select(back => local.Date.AddDays(-back))
            .Where(day => day.DayOfWeek == StartDay)
            .Select(day => day + startTime.ToTimeSpan())
            .First(candidate => candidate <= local);
        var days = ((int)endDay - (int)start.DayOfWeek + 7) % 7;
        var end = start.Date.AddDays(days) + endTime.ToTimeSpan();
        if (end <= start)
        {
            end = end.AddDays(7);
        }

        return local < end ? ToInstant(end, zone) : null;
    }

    /// <summary>A short description for lists: "Fri 16:00 – Mon 08:00 Europe/Berlin" or the one-off range.</summary>
    public string Describe() => IsRecurring
        ? $"every {StartDay.ToString()![..3]} {StartTime:HH\\:mm} – {EndDay?.ToString()[..3]} {EndTime:HH\\:mm} {TimeZone}"
        : $"{From:yyyy-MM-dd HH:mm zzz} – {To:yyyy-MM-dd HH:mm zzz}";

    internal static bool TryZone(string name, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    /// <summary>A wall-clock time in <paramref name="zone"/> as an instant: a time skipped by a spring-forward change is the first valid moment after it.</summary>
    private static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        var wall = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(wall))
        {
            wall = wall.AddMinutes(30);
        }

        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }
}

/// <summary>The window in force now, for the policy: why, and until when.</summary>
public sealed record ActiveFreeze(string Environment, string Reason, DateTimeOffset Until, int? WindowId)
{
    public string Describe() => $"{Environment} is frozen until {Until:yyyy-MM-dd HH:mm zzz}: {Reason}";
}
