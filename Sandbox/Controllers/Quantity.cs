using System.Globalization;

namespace Sandbox.Controllers;

/// <summary>
/// Kubernetes resource quantities ("250m", "1", "512Mi", "1Gi", "1G", "1e3"): a decimal number followed by a
/// binary suffix (Ki..Ei), a decimal SI suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent.
/// </summary>
internal static class Quantity
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1_000m), ("M", 1_000_000m), ("G", 1_000_000_000m),
        ("T", 1_000_000_000_000m), ("P", 1_000_000_000_000_000m), ("E", 1_000_000_000_000_000_000m),
    ];

    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var end = 0;
        if (end < text.Length && text[end] is '+' or '-')
        {
            end++;
        }

        var digits = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            if (text[end] != '.')
            {
                digits++;
            }

            end++;
        }
        if (digits == 0)
        {
            return false;
        }

        if (!decimal.TryParse(text[..end], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var suffix = text[end..];
        if (suffix.Length == 0)
        {
            value = number;
            return true;
        }
        // "1E" is exa, "1e3" and "1E3" are exponents: an exponent is a suffix starting with e/E followed by digits.
        if (suffix.Length > 1 && suffix[0] is 'e' or 'E'
            && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
        {
            if (Math.Abs(exponent) > 27)
            {
                return false;
            }

            try
            {
                var scale = 1m;
                for (var i = 0; i < Math.Abs(exponent); i++)
                {
                    scale *= 10;
                }

                value = exponent >= 0 ? number * scale : number / scale;
                return true;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        foreach (var (name, factor) in Suffixes)
        {
            if (suffix != name)
            {
                continue;
            }

            try
            {
                value = number * factor;
                return true;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>Thousandths, rounded up as Kubernetes' MilliValue does: CPU in millicores.</summary>
    public static long ToMilli(string? text) => TryParse(text, out var value) ? (long)Math.Ceiling(value * 1000) : 0;

    /// <summary>Whole units, rounded up as Kubernetes' Value does: memory in bytes.</summary>
    public static long ToUnits(string? text) => TryParse(text, out var value) ? (long)Math.Ceiling(value) : 0;
}
