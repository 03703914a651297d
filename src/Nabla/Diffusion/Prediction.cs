namespace Nabla.Diffusion;

/// <summary>
/// What the network predicts from x_t = α_t x_0 + σ_t ε (α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t)): the training target and the
/// meaning of its output for every sampler. Stored in the checkpoint's training options.
/// </summary>
public enum Prediction
{
    /// <summary>ε (Ho et al. 2020): x̂_0 = (x_t − σ_t ε̂)/α_t.</summary>
    Epsilon,
    /// <summary>x_0 directly: ε̂ = (x_t − α_t x̂_0)/σ_t.</summary>
    X0,
    /// <summary>v = α_t ε − σ_t x_0 (Salimans &amp; Ho 2022): x̂_0 = α_t x_t − σ_t v̂, ε̂ = σ_t x_t + α_t v̂.</summary>
    V,
}

/// <summary>
/// The conversions between ε, x_0 and v at one timestep, in the notation of <see cref="Prediction"/> (α² + σ² = 1).
/// Each is linear in (x_t, output), so classifier-free guidance may combine raw outputs of any objective.
/// </summary>
public static class PredictionMath
{
    /// <summary>(p, q) with x̂_0 = p·x_t + q·output for a network predicting <paramref name="kind"/> at ᾱ = <paramref name="alphaBar"/>.</summary>
    public static (double p, double q) X0Coefficients(Prediction kind, double alphaBar)
    {
        double a = Math.Sqrt(alphaBar), s = Math.Sqrt(1 - alphaBar);
        return kind switch
        {
            Prediction.Epsilon => a > 0 ? (1 / a, -s / a) : throw new ArgumentException("PredictionMath: ε-prediction cannot give x̂_0 where ᾱ_t = 0 (zero terminal SNR needs the v or x0 objective)"),
            Prediction.X0 => (0, 1),
            Prediction.V => (a, -s),
            _ => throw new ArgumentException($"PredictionMath: unknown prediction {kind}"),
        };
    }

    /// <summary>(p, q) with ε̂ = p·x_t + q·output.</summary>
    public static (double p, double q) EpsCoefficients(Prediction kind, double alphaBar)
    {
        double a = Math.Sqrt(alphaBar), s = Math.Sqrt(1 - alphaBar);
        return kind switch
        {
            Prediction.Epsilon => (0, 1),
            Prediction.X0 => s > 0 ? (1 / s, -a / s) : throw new ArgumentException("PredictionMath: x0-prediction cannot give ε̂ where ᾱ_t = 1"),
            Prediction.V => (s, a),
            _ => throw new ArgumentException($"PredictionMath: unknown prediction {kind}"),
        };
    }

    /// <summary>The training target of <paramref name="kind"/> as (p, q) with target = p·x_0 + q·ε.</summary>
    public static (double p, double q) TargetCoefficients(Prediction kind, double alphaBar) => kind switch
    {
        Prediction.Epsilon => (0, 1),
        Prediction.X0 => (1, 0),
        Prediction.V => (-Math.Sqrt(1 - alphaBar), Math.Sqrt(alphaBar)),
        _ => throw new ArgumentException($"PredictionMath: unknown prediction {kind}"),
    };

    /// <summary>Signal-to-noise ratio SNR = ᾱ/(1 − ᾱ) = α²/σ².</summary>
    public static double Snr(double alphaBar) => alphaBar / (1 - alphaBar);

    /// <summary>
    /// The min-SNR-γ loss weight (Hang et al. 2023) for the MSE of <paramref name="kind"/>. Since
    /// ‖ε − ε̂‖² = SNR·‖x_0 − x̂_0‖² and ‖v − v̂‖² = (SNR + 1)·‖x_0 − x̂_0‖², weighting the x_0 error by min(SNR, γ) reads
    /// ε: min(SNR, γ)/SNR; x_0: min(SNR, γ); v: min(SNR, γ)/(SNR + 1).
    /// At SNR = 0 (zero terminal SNR) the ε form takes its limit 1.
    /// </summary>
    public static double MinSnrWeight(Prediction kind, double snr, double gamma)
    {
        if (!(gamma > 0)) throw new ArgumentException($"PredictionMath: min-SNR γ must be > 0, got {gamma}");
        double m = Math.Min(snr, gamma);
        return kind switch
        {
            Prediction.Epsilon => snr > 0 ? m / snr : 1,
            Prediction.X0 => m,
            Prediction.V => m / (snr + 1),
            _ => throw new ArgumentException($"PredictionMath: unknown prediction {kind}"),
        };
    }

    /// <summary>out[i] = p_i·a[i] + q_i·b[i] per row i (a, b, out [B, …]) with (p_i, q_i) = coef(row i). No gradient.</summary>
    internal static Tensor CombineRows(Tensor a, Tensor b, Func<int, (double p, double q)> coef)
    {
        int rows = a.Dim(0), per = a.Size / Math.Max(rows, 1);
        var o = TensorScope.Uninit(a.Size);
        for (int i = 0; i < rows; i++)
        {
            var (pd, qd) = coef(i);
            float p = (float)pd, q = (float)qd;
            var ra = a.data.AsSpan(i * per, per); var rb = b.data.AsSpan(i * per, per); var ro = o.AsSpan(i * per, per);
            for (int j = 0; j < per; j++) ro[j] = p * ra[j] + q * rb[j];
        }
        return new Tensor(o, a.shape);
    }
}
