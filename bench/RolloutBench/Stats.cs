using System.Globalization;

namespace RolloutBench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        var index = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }

    public static string Ms(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F1", CultureInfo.InvariantCulture) + " ms";

    public static string F(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);
}
