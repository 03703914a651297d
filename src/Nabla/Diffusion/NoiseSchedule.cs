namespace Nabla.Diffusion;

/// <summary>How the noise variances β_t grow with t.</summary>
public enum BetaSchedule
{
    /// <summary>β_t linear from β_1 to β_T (Ho et al. 2020: 1e-4 → 0.02).</summary>
    Linear,
    /// <summary>ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999) (Nichol &amp; Dhariwal 2021).</summary>
    Cosine,
    /// <summary>ᾱ(τ) ∝ σ(e/τ₀) − σ((τ(e − s) + s)/τ₀), τ = t/T, s = −3, e = 3, τ₀ = 1, normalised to ᾱ(0) = 1; β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999) (Jabri et al. 2022).</summary>
    Sigmoid,
}

/// <summary>
/// The fixed forward process of a DDPM (Ho et al. 2020) over T steps and every coefficient derived from it.
/// Steps are 0-based as in code: index t = 0 … T−1 is the paper's step t + 1, so <c>AlphaBars[0]</c> = α_1 and
/// ᾱ_{t−1} at t = 0 is 1 (no noise yet).
/// <list type="bullet">
/// <item>α_t = 1 − β_t (the notes write α_t ≡ β_t, a typo), ᾱ_t = ∏_{i≤t} α_i;</item>
/// <item>forward: q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I);</item>
/// <item>posterior (paper eq. 6–7): q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I),
///   μ̃_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t,
///   β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t. The notes write this for x_{t+1} and square the variance;
///   this class implements the paper.</item>
/// </list>
/// Everything is computed in float64 and stored as float32, as PyTorch reference code does
/// (<c>torch.cumprod(1 − linspace(…, float64)).float()</c>).
/// </summary>
public sealed class NoiseSchedule
{
    /// <summary>Number of diffusion steps T.</summary>
    public int T { get; }
    /// <summary>The schedule the β_t came from.</summary>
    public BetaSchedule Kind { get; }
    /// <summary>β_t, the variance of the noise added at step t.</summary>
    public float[] Betas { get; }
    /// <summary>α_t = 1 − β_t.</summary>
    public float[] Alphas { get; }
    /// <summary>ᾱ_t = ∏_{i≤t} α_i.</summary>
    public float[] AlphaBars { get; }
    /// <summary>ᾱ_{t−1} (1 at t = 0).</summary>
    public float[] AlphaBarsPrev { get; }
    /// <summary>√ᾱ_t.</summary>
    public float[] SqrtAlphaBars { get; }
    /// <summary>√(1 − ᾱ_t).</summary>
    public float[] SqrtOneMinusAlphaBars { get; }
    /// <summary>β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t (0 at t = 0).</summary>
    public float[] PosteriorVariance { get; }
    /// <summary>Coefficient of x_0 in μ̃_t: √ᾱ_{t−1} β_t/(1 − ᾱ_t).</summary>
    public float[] PosteriorMeanCoefX0 { get; }
    /// <summary>Coefficient of x_t in μ̃_t: √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t).</summary>
    public float[] PosteriorMeanCoefXt { get; }

    /// <summary>True when rescaled to zero terminal SNR (<see cref="RescaleZeroTerminalSnr"/>): ᾱ_{T−1} = 0.</summary>
    public bool ZeroTerminalSnr { get; }

    readonly double[] betas64;

    NoiseSchedule(BetaSchedule kind, double[] betas, bool zeroTerminalSnr = false)
    {
        Kind = kind;
        ZeroTerminalSnr = zeroTerminalSnr;
        T = betas.Length;
        betas64 = betas;
        Betas = new float[T]; Alphas = new float[T]; AlphaBars = new float[T]; AlphaBarsPrev = new float[T];
        SqrtAlphaBars = new float[T]; SqrtOneMinusAlphaBars = new float[T]; PosteriorVariance = new float[T];
        PosteriorMeanCoefX0 = new float[T]; PosteriorMeanCoefXt = new float[T];
        double abar = 1;
        for (int t = 0; t < T; t++)
        {
            double b = betas[t], a = 1 - b, prev = abar;
            abar *= a;
            Betas[t] = (float)b;
            Alphas[t] = (float)a;
            AlphaBars[t] = (float)abar;
            AlphaBarsPrev[t] = (float)prev;
            SqrtAlphaBars[t] = (float)Math.Sqrt(abar);
            SqrtOneMinusAlphaBars[t] = (float)Math.Sqrt(1 - abar);
            PosteriorVariance[t] = (float)((1 - prev) / (1 - abar) * b);
            PosteriorMeanCoefX0[t] = (float)(Math.Sqrt(prev) * b / (1 - abar));
            PosteriorMeanCoefXt[t] = (float)(Math.Sqrt(a) * (1 - prev) / (1 - abar));
        }
    }

    /// <summary>β_t in float64 (before rounding to float32).</summary>
    public double Beta64(int t) => betas64[t];

    /// <summary>β_t linear from <paramref name="betaStart"/> to <paramref name="betaEnd"/> (the notes' and Ho et al.'s default).</summary>
    public static NoiseSchedule Linear(int steps = 1000, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        if (steps < 2) throw new ArgumentException($"NoiseSchedule.Linear: steps must be at least 2, got {steps}");
        if (!(betaStart > 0 && betaEnd >= betaStart && betaEnd < 1))
            throw new ArgumentException($"NoiseSchedule.Linear: need 0 < betaStart ≤ betaEnd < 1, got betaStart={betaStart}, betaEnd={betaEnd}");
        // torch.linspace's formula (from both ends toward the middle), so the float32 values match the reference.
        var b = new double[steps];
        double step = (betaEnd - betaStart) / (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++) b[i] = i < half ? betaStart + step * i : betaEnd - step * (steps - 1 - i);
        return new NoiseSchedule(BetaSchedule.Linear, b);
    }

    /// <summary>The cosine schedule of Nichol &amp; Dhariwal (2021) with offset <paramref name="s"/>, β clipped at <paramref name="maxBeta"/>.</summary>
    public static NoiseSchedule Cosine(int steps = 1000, double s = 0.008, double maxBeta = 0.999)
    {
        if (steps < 2) throw new ArgumentException($"NoiseSchedule.Cosine: steps must be at least 2, got {steps}");
        if (!(s > 0) || !(maxBeta > 0 && maxBeta < 1)) throw new ArgumentException($"NoiseSchedule.Cosine: need s > 0 and 0 < maxBeta < 1, got s={s}, maxBeta={maxBeta}");
        double F(double t) { double c = Math.Cos((t / steps + s) / (1 + s) * Math.PI / 2); return c * c; }
        var b = new double[steps];
        for (int i = 0; i < steps; i++) b[i] = Math.Min(1 - F(i + 1) / F(i), maxBeta);
        return new NoiseSchedule(BetaSchedule.Cosine, b);
    }

    /// <summary>The sigmoid schedule (see <see cref="BetaSchedule.Sigmoid"/>) with ends <paramref name="start"/>, <paramref name="end"/> and temperature <paramref name="tau"/>.</summary>
    public static NoiseSchedule Sigmoid(int steps = 1000, double start = -3, double end = 3, double tau = 1, double maxBeta = 0.999)
    {
        if (steps < 2) throw new ArgumentException($"NoiseSchedule.Sigmoid: steps must be at least 2, got {steps}");
        if (!(end > start) || !(tau > 0) || !(maxBeta > 0 && maxBeta < 1)) throw new ArgumentException($"NoiseSchedule.Sigmoid: need start < end, tau > 0 and 0 < maxBeta < 1, got start={start}, end={end}, tau={tau}, maxBeta={maxBeta}");
        static double Sig(double z) => 1 / (1 + Math.Exp(-z));
        double vEnd = Sig(end / tau);
        double F(double t) => vEnd - Sig(((double)t / steps * (end - start) + start) / tau);
        var b = new double[steps];
        for (int i = 0; i < steps; i++) b[i] = Math.Clamp(1 - F(i + 1) / F(i), 0, maxBeta);
        return new NoiseSchedule(BetaSchedule.Sigmoid, b);
    }

    /// <summary>A schedule by kind with default parameters, optionally rescaled to zero terminal SNR.</summary>
    public static NoiseSchedule Create(BetaSchedule kind, int steps = 1000, bool zeroTerminalSnr = false)
    {
        var s = kind switch
        {
            BetaSchedule.Linear => Linear(steps),
            BetaSchedule.Cosine => Cosine(steps),
            BetaSchedule.Sigmoid => Sigmoid(steps),
            _ => throw new ArgumentException($"NoiseSchedule.Create: unknown schedule {kind}"),
        };
        return zeroTerminalSnr ? s.RescaleZeroTerminalSnr() : s;
    }

    /// <summary>
    /// Lin et al. (2024), Algorithm 1: shift and scale √ᾱ so that √ᾱ_{T−1} = 0 while √ᾱ_0 is unchanged,
    /// √ᾱ'_t = (√ᾱ_t − √ᾱ_{T−1}) · √ᾱ_0/(√ᾱ_0 − √ᾱ_{T−1}); then β'_t = 1 − ᾱ'_t/ᾱ'_{t−1} (β'_{T−1} = 1). The last step
    /// then sees pure noise, as sampling starts; train such a schedule with the v (or x0) objective, since ε̂ says
    /// nothing about x_0 there.
    /// </summary>
    public NoiseSchedule RescaleZeroTerminalSnr()
    {
        var sq = new double[T];
        double ab = 1;
        for (int t = 0; t < T; t++) { ab *= 1 - betas64[t]; sq[t] = Math.Sqrt(ab); }
        double a0 = sq[0], aT = sq[T - 1];
        var b = new double[T];
        double prev = 1;
        for (int t = 0; t < T; t++)
        {
            double s = (sq[t] - aT) * a0 / (a0 - aT), abar = s * s;
            b[t] = t == 0 ? 1 - abar : 1 - abar / prev;
            prev = abar;
        }
        b[T - 1] = 1;
        return new NoiseSchedule(Kind, b, zeroTerminalSnr: true);
    }

    internal void CheckStep(int t, string op)
    {
        if ((uint)t >= (uint)T) throw new ArgumentOutOfRangeException(nameof(t), $"{op}: timestep {t} is outside [0, {T})");
    }

    void CheckBatch(Tensor x, int[] t, string op, string name)
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(t);
        if (x.Rank < 1 || x.Dim(0) != t.Length)
            throw new ArgumentException($"{op}: {name} of shape {ShapeMath.Format(x.Shape)} needs a batch dimension of {t.Length} (one timestep per sample)");
        foreach (var s in t) CheckStep(s, op);
    }

    static void CheckSame(Tensor a, Tensor b, string op, string na, string nb)
    {
        if (!ShapeMath.Equal(a.shape, b.shape))
            throw new ArgumentException($"{op}: {na} {ShapeMath.Format(a.Shape)} and {nb} {ShapeMath.Format(b.Shape)} must have the same shape");
    }

    /// <summary>out[i] = p_i·a[i] + q_i·b[i] per sample with (p_i, q_i) = coef(t_i) (no gradient: every use is on data or under no-grad).</summary>
    static Tensor Combine(Tensor a, Tensor b, int[] t, Func<int, (double p, double q)> coef)
    {
        int per = a.Size / t.Length;
        var o = TensorScope.Uninit(a.Size);   // every sample's block is written below
        for (int i = 0; i < t.Length; i++)
        {
            var (pd, qd) = coef(t[i]);
            float p = (float)pd, q = (float)qd;
            var ra = a.data.AsSpan(i * per, per); var rb = b.data.AsSpan(i * per, per); var ro = o.AsSpan(i * per, per);
            for (int j = 0; j < per; j++) ro[j] = p * ra[j] + q * rb[j];
        }
        return new Tensor(o, a.shape);
    }

    /// <summary>Forward noising q_sample: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, one t per sample. Not differentiable (x_0 is data).</summary>
    public Tensor QSample(Tensor x0, int[] t, Tensor noise)
    {
        CheckBatch(x0, t, "QSample", "x0"); CheckSame(x0, noise, "QSample", "x0", "noise");
        return Combine(x0, noise, t, s => (SqrtAlphaBars[s], SqrtOneMinusAlphaBars[s]));
    }

    /// <summary>x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t: the clean image implied by a noise prediction.</summary>
    public Tensor PredictX0(Tensor xt, int[] t, Tensor epsHat)
    {
        CheckBatch(xt, t, "PredictX0", "xt"); CheckSame(xt, epsHat, "PredictX0", "xt", "epsHat");
        return Combine(xt, epsHat, t, s => (1 / Math.Sqrt(AlphaBars[s]), -Math.Sqrt(1.0 - AlphaBars[s]) / Math.Sqrt(AlphaBars[s])));
    }

    /// <summary>ε = (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t): the noise implied by a clean-image estimate (inverse of <see cref="PredictX0"/>).</summary>
    public Tensor PredictEps(Tensor xt, int[] t, Tensor x0Hat)
    {
        CheckBatch(xt, t, "PredictEps", "xt"); CheckSame(xt, x0Hat, "PredictEps", "xt", "x0Hat");
        return Combine(xt, x0Hat, t, s => (1 / Math.Sqrt(1.0 - AlphaBars[s]), -Math.Sqrt(AlphaBars[s]) / Math.Sqrt(1.0 - AlphaBars[s])));
    }

    /// <summary>Posterior mean μ̃_t(x_t, x_0) = √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t (Ho et al. eq. 7).</summary>
    public Tensor PosteriorMean(Tensor x0, Tensor xt, int[] t)
    {
        CheckBatch(xt, t, "PosteriorMean", "xt"); CheckSame(xt, x0, "PosteriorMean", "xt", "x0");
        return Combine(x0, xt, t, s => (PosteriorMeanCoefX0[s], PosteriorMeanCoefXt[s]));
    }

    /// <summary>The ε-prediction mean of p(x_{t−1} | x_t): (x_t − β_t/√(1 − ᾱ_t) · ε̂)/√α_t (Ho et al. Algorithm 2).</summary>
    public Tensor EpsilonMean(Tensor xt, int[] t, Tensor epsHat)
    {
        CheckBatch(xt, t, "EpsilonMean", "xt"); CheckSame(xt, epsHat, "EpsilonMean", "xt", "epsHat");
        return Combine(xt, epsHat, t, s => (1 / Math.Sqrt(Alphas[s]), -(double)Betas[s] / Math.Sqrt(1.0 - AlphaBars[s]) / Math.Sqrt(Alphas[s])));
    }
}
