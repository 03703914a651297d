using Nabla.Kernels;

namespace Nabla.Models;

/// <summary>
/// The discretized Gaussian likelihood of 8-bit data (Ho et al. 2020, eq. 13): pixel values k ∈ {0 … 255} scaled to
/// x = 2k/255 − 1 ∈ [−1, 1] fall in bins of width 2/255; with Φ the standard normal CDF and μ, σ the decoder's
/// mean and standard deviation,
/// P(x) = Φ((x + 1/255 − μ)/σ) − Φ((x − 1/255 − μ)/σ), except that the edge bins are open:
/// P(−1) = Φ((−1 + 1/255 − μ)/σ) and P(1) = 1 − Φ((1 − 1/255 − μ)/σ). Probabilities are floored at 1e-12 before the
/// log, as in Nichol &amp; Dhariwal's code (which uses a tanh approximation of Φ; this uses the exact Φ in float64).
/// </summary>
public static class DiscretizedGaussian
{
    /// <summary>Half the bin width, 1/255.</summary>
    public const double HalfBin = 1.0 / 255;
    const double Floor = 1e-12;

    static double Phi(double z) => 0.5 * (1 + Activation.Erf(z / Math.Sqrt(2)));

    /// <summary>log P(x) for one value x on the grid (x &lt; −0.999 is the lower edge bin, x &gt; 0.999 the upper).</summary>
    public static double LogProb(double x, double mean, double std)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), $"DiscretizedGaussian: std must be > 0, got {std}");
        double c = x - mean, plus = Phi((c + HalfBin) / std), minus = Phi((c - HalfBin) / std);
        if (x < -0.999) return Math.Log(Math.Max(plus, Floor));
        if (x > 0.999) return Math.Log(Math.Max(1 - minus, Floor));
        return Math.Log(Math.Max(plus - minus, Floor));
    }

    /// <summary>Σ_j log P(x_j | μ_j, σ) over a block of values (one image).</summary>
    public static double LogLikelihood(ReadOnlySpan<float> x, ReadOnlySpan<double> mean, double std)
    {
        if (x.Length != mean.Length) throw new ArgumentException($"DiscretizedGaussian: {x.Length} values but {mean.Length} means");
        double s = 0;
        for (int j = 0; j < x.Length; j++) s += LogProb(x[j], mean[j], std);
        return s;
    }

    /// <summary>8-bit data in [0, 1] (k/255) as the grid values 2k/255 − 1 exactly (rounding k to the nearest integer).</summary>
    public static Tensor FromUnitInterval(Tensor x01)
    {
        ArgumentNullException.ThrowIfNull(x01);
        var s = x01.Data; var d = new float[s.Length];
        for (int i = 0; i < d.Length; i++)
        {
            double k = Math.Round(s[i] * 255.0);
            if (k < 0 || k > 255) throw new ArgumentException($"DiscretizedGaussian: value {s[i]} at {i} is not 8-bit data in [0, 1]");
            d[i] = (float)(2 * k / 255 - 1);
        }
        return new Tensor(d, x01.Shape);
    }

    /// <summary>Converts nats per image to bits per dimension: nats/(D·ln 2).</summary>
    public static double BitsPerDim(double nats, int dims) => nats / (dims * Math.Log(2));
}
