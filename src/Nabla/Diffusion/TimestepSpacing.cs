namespace Nabla.Diffusion;

/// <summary>
/// Which S of the T training timesteps (0-based) a few-step sampler visits. With r = T/S
/// (the names of diffusers and Lin et al. 2024, Table 2):
/// <list type="bullet">
/// <item><b>Trailing</b>: τ_i = round(T − i·r) − 1, i = 0 … S−1 — starts at T−1 (the noisiest step, where x_T is
///   drawn), so sampling begins where training ends; Lin et al. recommend it, and it is the default.</item>
/// <item><b>Leading</b>: τ = ⌊T/S⌋·{S−1, …, 1, 0} — starts below T−1 (the first step never sees pure noise),
///   ends at 0 (Stable Diffusion's original choice).</item>
/// <item><b>Linspace</b>: τ = round(linspace(0, T−1, S)) reversed — both ends included.</item>
/// </list>
/// Rounding is to even, as NumPy's. Every sequence is strictly decreasing for 1 ≤ S ≤ T.
/// </summary>
public enum TimestepSpacing { Trailing, Leading, Linspace }

/// <summary>The timestep sequences of <see cref="TimestepSpacing"/>.</summary>
public static class SamplingTimesteps
{
    /// <summary>The S = <paramref name="steps"/> timesteps of a T-step schedule, descending; the step after the last goes to −1 (clean data).</summary>
    public static int[] Create(int T, int steps, TimestepSpacing spacing = TimestepSpacing.Trailing)
    {
        if (T < 1) throw new ArgumentOutOfRangeException(nameof(T), $"SamplingTimesteps: T must be ≥ 1, got {T}");
        if (steps < 1 || steps > T) throw new ArgumentOutOfRangeException(nameof(steps), $"SamplingTimesteps: steps must be in [1, {T}], got {steps}");
        var ts = new int[steps];
        for (int i = 0; i < steps; i++)
            ts[i] = spacing switch
            {
                TimestepSpacing.Trailing => (int)Math.Round((double)(steps - i) * T / steps) - 1,
                TimestepSpacing.Leading => (steps - 1 - i) * (T / steps),
                TimestepSpacing.Linspace => steps == 1 ? T - 1 : (int)Math.Round((double)(steps - 1 - i) * (T - 1) / (steps - 1)),
                _ => throw new ArgumentException($"SamplingTimesteps: unknown spacing {spacing}"),
            };
        return ts;
    }
}
