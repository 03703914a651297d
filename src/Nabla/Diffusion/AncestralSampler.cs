using Nabla.NN;
namespace Nabla.Diffusion;

/// <summary>
/// Ancestral sampling (Ho et al. 2020, Algorithm 2, the notes' procedure): x_T ~ N(0, I); for t = T … 1,
/// x_{t−1} = 1/√α_t · (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) + σ_t z, z ~ N(0, I) (no noise at the last step),
/// with σ_t² = β̃_t (the posterior variance, default) or β_t. With <see cref="ClipX0"/> the mean is computed as
/// μ̃_t(x_t, clip(x̂_0, −1, 1)), which equals the expression above when nothing is clipped.
/// </summary>
public sealed class AncestralSampler
{
    public NoiseSchedule Schedule { get; }
    /// <summary>σ_t² = β_t instead of β̃_t.</summary>
    public bool UseBetaVariance { get; }
    /// <summary>Clip x̂_0 to [−1, 1] (the data range) before forming the mean.</summary>
    public bool ClipX0 { get; }

    /// <summary>What the network's output means (converted to ε̂ before the step).</summary>
    public Prediction Prediction { get; }

    public AncestralSampler(NoiseSchedule schedule, bool useBetaVariance = false, bool clipX0 = false, Prediction prediction = Prediction.Epsilon)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Prediction = prediction;
        UseBetaVariance = useBetaVariance;
        ClipX0 = clipX0;
    }

    /// <summary>σ_t, the standard deviation of the noise added when leaving step t.</summary>
    public float Sigma(int t) => MathF.Sqrt(UseBetaVariance ? Schedule.Betas[t] : Schedule.PosteriorVariance[t]);

    /// <summary>
    /// One reverse step from x_t to x_{t−1} given ε̂ = ε_θ(x_t, t) (already converted from the model's output); draws z from <paramref name="gen"/> when t &gt; 0.
    /// Returns x_{t−1} and x̂_0.
    /// </summary>
    public (Tensor xPrev, Tensor x0Hat) Step(Tensor xt, int t, Tensor epsHat, Generator gen)
    {
        Schedule.CheckStep(t, "AncestralSampler.Step");
        var ts = Full(t, xt.Dim(0));
        var x0 = Schedule.PredictX0(xt, ts, epsHat);
        Tensor mean;
        if (ClipX0)
        {
            x0 = Clip(x0);
            mean = Schedule.PosteriorMean(x0, xt, ts);
        }
        else mean = Schedule.EpsilonMean(xt, ts, epsHat);
        if (t > 0)
        {
            var z = TensorScope.Uninit(mean.Size);
            gen.FillNormal(z);
            float s = Sigma(t);
            var m = mean.data;
            for (int i = 0; i < m.Length; i++) m[i] += s * z[i];
        }
        return (mean, x0);
    }

    /// <summary>Draws samples of <paramref name="shape"/> [B, …] with T model calls.</summary>
    /// <param name="model">ε_θ; called under no-grad.</param>
    /// <param name="labels">Class labels [B] for a conditional model, or null.</param>
    /// <param name="gen">Source of x_T and of every z.</param>
    /// <param name="progress">Called after each step.</param>
    public Tensor Sample(NoisePredictor model, int[] shape, Tensor? labels, Generator gen, CancellationToken cancellation = default, Action<SamplingStep>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model); ArgumentNullException.ThrowIfNull(gen);
        var x = Tensor.Randn(gen, shape);
        return Run(model, x, labels, gen, cancellation, progress);
    }

    /// <summary>Runs the reverse chain from a given x_T.</summary>
    public Tensor Run(NoisePredictor model, Tensor xT, Tensor? labels, Generator gen, CancellationToken cancellation = default, Action<SamplingStep>? progress = null)
    {
        using var _ = Tensor.NoGrad();
        using var frozen = FrozenWeights.Begin();   // the weights are fixed for the run: convolutions pack them once
        var x = xT;
        int b = x.Dim(0), n = Schedule.T;
        for (int i = 0; i < n; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = TensorScope.Begin();  // each step reuses the previous step's storage; x_{t−1} is kept
            int t = n - 1 - i;
            var eps = ToEps(Schedule, Prediction, x, t, model(x, Tensor.Full(t, b), labels));
            var (next, x0) = Step(x, t, eps, gen);
            progress?.Invoke(new SamplingStep(i, n, t, x, x0));
            x = scope.Keep(next);
        }
        return x;
    }

    /// <summary>ε̂ from the network's output at one timestep t for every row (the output itself for ε-prediction).</summary>
    internal static Tensor ToEps(NoiseSchedule schedule, Prediction prediction, Tensor xt, int t, Tensor output) =>
        prediction == Prediction.Epsilon ? output : PredictionMath.CombineRows(xt, output, _ => PredictionMath.EpsCoefficients(prediction, schedule.AlphaBars[t]));

    internal static int[] Full(int t, int b) { var a = new int[b]; Array.Fill(a, t); return a; }

    internal static Tensor Clip(Tensor x)
    {
        var d = x.data;
        for (int i = 0; i < d.Length; i++) d[i] = Math.Clamp(d[i], -1f, 1f);
        return x;
    }
}
