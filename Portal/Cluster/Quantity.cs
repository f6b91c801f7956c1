using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Cluster;

/// <summary>Kubernetes resource quantities (<c>250m</c>, <c>1.5</c>, <c>512Mi</c>, <c>1G</c>, <c>1e3</c>) as exact decimals.</summary>
public static partial class Quantity
{
    [GeneratedRegex(@"\A(?<number>[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?\z")]
    private static partial Regex Grammar();

    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        var match = text is null ? null : Grammar().Match(text.Trim());
        if (match is null || !match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var suffix = match.Groups["suffix"].Value;
        decimal multiplier = suffix switch
        {
            "" => 1m,
            "n" => 0.000000001m,
            "u" => 0.000001m,
            "m" => 0.001m,
            "k" => 1_000m,
            "M" => 1_000_000m,
            "G" => 1_000_000_000m,
            "T" => 1_000_000_000_000m,
            "P" => 1_000_000_000_000_000m,
            "E" => 1_000_000_000_000_000_000m,
            "Ki" => 1024m,
            "Mi" => 1024m * 1024,
            "Gi" => 1024m * 1024 * 1024,
            "Ti" => 1024m * 1024 * 1024 * 1024,
            "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
            "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
            _ => Exponent(suffix),
        };
        if (multiplier < 0)
        {
            return false;
        }

        try
        {
            value = number * multiplier;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static decimal Exponent(string suffix)
    {
        var exponent = int.Parse(suffix[1..], CultureInfo.InvariantCulture);
        return exponent is < -18 or > 18 ? -1m : (decimal)Math.Pow(10, exponent);
    }
}
