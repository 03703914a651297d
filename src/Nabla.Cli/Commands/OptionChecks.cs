using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>Range checks of option values, each throwing an <see cref="ArgumentException"/> that names the option; and the number format of command output.</summary>
internal static class OptionChecks
{
    public static void Positive(int value, string option)
    {
        if (value < 1) throw new ArgumentException($"{option} must be a positive integer, got {value}");
    }

    public static void PositiveFinite(double value, string option)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentException($"{option} must be a positive number, got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Fixed-point with <paramref name="decimals"/> decimals, invariant culture.</summary>
    public static string F(double v, int decimals = 4) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
