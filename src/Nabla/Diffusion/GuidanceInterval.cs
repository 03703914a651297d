using System.Globalization;

namespace Nabla.Diffusion;

/// <summary>
/// Where classifier-free guidance applies (Kynkäänniemi et al. 2024, "Applying guidance in a limited interval improves
/// sample and distribution quality"): only at the steps whose noise level σ = √((1 − ᾱ_t)/ᾱ_t) — EDM's σ of x_t/√ᾱ_t,
/// so the interval means the same on every β schedule — lies in (<see cref="SigmaLow"/>, <see cref="SigmaHigh"/>].
/// Outside it the step uses the plain conditional prediction (one network row per sample instead of two). Guidance
/// at high noise pulls every chain of a class towards one mode (less diversity); near the data it changes little.
/// </summary>
/// <param name="SigmaLow">Lower bound, exclusive (≥ 0).</param>
/// <param name="SigmaHigh">Upper bound, inclusive (&gt; <paramref name="SigmaLow"/>; +∞ allowed: zero terminal SNR has σ = ∞ at t = T−1).</param>
public readonly record struct GuidanceInterval(double SigmaLow, double SigmaHigh)
{
    /// <summary>Guidance at every step (the classic sampler).</summary>
    public static GuidanceInterval Everywhere { get; } = new(0, double.PositiveInfinity);

    /// <summary>Whether this is <see cref="Everywhere"/>.</summary>
    public bool IsEverywhere => SigmaLow <= 0 && double.IsPositiveInfinity(SigmaHigh);

    /// <summary>σ_t = √((1 − ᾱ_t)/ᾱ_t) of timestep <paramref name="t"/> (+∞ where ᾱ_t = 0).</summary>
    public static double Sigma(NoiseSchedule schedule, int t)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        double ab = schedule.AlphaBars[t];
        return ab <= 0 ? double.PositiveInfinity : Math.Sqrt((1 - ab) / ab);
    }

    /// <summary>Whether guidance applies at timestep <paramref name="t"/> of <paramref name="schedule"/>.</summary>
    public bool Contains(NoiseSchedule schedule, int t)
    {
        if (IsEverywhere) return true;
        double s = Sigma(schedule, t);
        return s > SigmaLow && s <= SigmaHigh;
    }

    /// <summary>Throws ArgumentException unless 0 ≤ low &lt; high (high may be +∞).</summary>
    public void Validate()
    {
        if (!(SigmaLow >= 0) || double.IsInfinity(SigmaLow)) throw new ArgumentException($"GuidanceInterval: SigmaLow must be a finite number ≥ 0, got {SigmaLow}");
        if (!(SigmaHigh > SigmaLow)) throw new ArgumentException($"GuidanceInterval: SigmaHigh must be greater than SigmaLow ({SigmaLow}), got {SigmaHigh}");
    }

    /// <summary>Parses "LOW,HIGH" (e.g. "0.3,5"; "inf" or an empty HIGH = no upper bound; "all" = <see cref="Everywhere"/>).</summary>
    public static GuidanceInterval Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.Equals("all", StringComparison.OrdinalIgnoreCase)) return Everywhere;
        var parts = t.Split(',');
        if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo))
            throw new FormatException($"GuidanceInterval: expected LOW,HIGH (σ values, e.g. 0.3,5) or 'all', got '{text}'");
        var h = parts[1].Trim();
        double hi;
        if (h.Length == 0 || h.Equals("inf", StringComparison.OrdinalIgnoreCase)) hi = double.PositiveInfinity;
        else if (!double.TryParse(h, NumberStyles.Float, CultureInfo.InvariantCulture, out hi))
            throw new FormatException($"GuidanceInterval: HIGH must be a number or 'inf', got '{parts[1]}'");
        var g = new GuidanceInterval(lo, hi);
        try { g.Validate(); } catch (ArgumentException e) { throw new FormatException(e.Message); }
        return g;
    }

    /// <summary>The text <see cref="Parse"/> reads back: "LOW,HIGH" ("inf" for no upper bound) or "all".</summary>
    public string ToOptionText() => IsEverywhere ? "all" :
        string.Create(CultureInfo.InvariantCulture, $"{SigmaLow:G6},{(double.IsPositiveInfinity(SigmaHigh) ? "inf" : SigmaHigh.ToString("G6", CultureInfo.InvariantCulture))}");

    /// <summary>"σ ∈ (0.3, 5]", or "everywhere".</summary>
    public override string ToString() => IsEverywhere ? "everywhere" :
        string.Create(CultureInfo.InvariantCulture, $"σ ∈ ({SigmaLow:G4}, {(double.IsPositiveInfinity(SigmaHigh) ? "∞" : SigmaHigh.ToString("G4", CultureInfo.InvariantCulture))}]");
}
