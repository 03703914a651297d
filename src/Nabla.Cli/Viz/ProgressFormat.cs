using System.Globalization;

namespace Nabla.Cli.Viz;

/// <summary>How the progress display writes values, rates and durations.</summary>
public static class ProgressFormat
{
    /// <summary>4 significant digits; thousands separators from 10 000; scientific below 0.001.</summary>
    public static string Value(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsInfinity(v)) return v > 0 ? "∞" : "-∞";
        double a = Math.Abs(v);
        if (a >= 10_000) return v.ToString("N0", CultureInfo.InvariantCulture);
        if (a >= 1e-3 || a == 0) return v.ToString("G4", CultureInfo.InvariantCulture);
        return v.ToString("0.##e+0", CultureInfo.InvariantCulture);
    }

    /// <summary>"–" when unknown, else 3 significant digits or a whole number from 100.</summary>
    public static string Rate(double r) =>
        double.IsNaN(r) ? "–" : r >= 100 ? r.ToString("N0", CultureInfo.InvariantCulture) : r.ToString(r >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    /// <summary>"mm:ss", "h:mm:ss" or "Nd hh:mm:ss"; "--:--" when unknown.</summary>
    public static string Time(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds < 0 || seconds > 1e8) return "--:--";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        if (t.TotalDays >= 1) return $"{(int)t.TotalDays}d {t:hh\\:mm\\:ss}";
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : t.ToString("mm\\:ss", CultureInfo.InvariantCulture);
    }
}
