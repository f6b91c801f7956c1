using System.Globalization;
using System.Text.RegularExpressions;

namespace SelfService.Cli;

/// <summary>Durations as pipelines write them: <c>90s</c>, <c>10m</c>, <c>1h30m</c>, or a bare number of seconds.</summary>
public static partial class Duration
{
    public static TimeSpan? Parse(string text)
    {
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        var match = Grammar().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            var amount = double.Parse(part.Value[..^1], CultureInfo.InvariantCulture);
            total += unit switch
            {
                'h' => TimeSpan.FromHours(amount),
                'm' => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromSeconds(amount),
            };
        }

        return total > TimeSpan.Zero ? total : null;
    }

    public static string Format(TimeSpan duration) =>
        duration.TotalHours >= 1 && duration.Minutes == 0 && duration.Seconds == 0 ? $"{duration.TotalHours:0}h"
        : duration.TotalMinutes >= 1 && duration.Seconds == 0 ? $"{duration.TotalMinutes:0}m"
        : $"{duration.TotalSeconds:0.#}s";

    [GeneratedRegex(@"\A(?<part>[0-9]+(\.[0-9]+)?[hms])+\z")]
    private static partial Regex Grammar();
}
