namespace Nabla.Diffusion;

/// <summary>
/// DDIM sampling (Song et al. 2021) over a subsequence τ of S ≤ T timesteps (evenly spaced, ending at T−1):
/// x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, optionally clipped to [−1, 1] with ε̂ recomputed from the clipped x̂_0
/// as ε̂ = (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t); then, with ᾱ' = ᾱ of the next (smaller) timestep (1 after the last),
/// σ = η √((1 − ᾱ')/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ'),
/// x' = √ᾱ' x̂_0 + √(1 − ᾱ' − σ²) ε̂ + σ z. η = 0 is deterministic; η = 1 matches ancestral sampling's variance.
/// </summary>
public sealed class DdimSampler
{
    public NoiseSchedule Schedule { get; }
    /// <summary>Number of model calls S.</summary>
    public int Steps { get; }
    /// <summary>Noise scale η ∈ [0, 1].</summary>
    public float Eta { get; }
    /// <summary>Clip x̂_0 to [−1, 1] and recompute ε̂ from it.</summary>
    public bool ClipX0 { get; }
    /// <summary>The timesteps visited, descending: τ_i = round((S − i)·T/S) − 1, i = 0 … S−1 (so T−1 first).</summary>
    public int[] Timesteps { get; }

    /// <summary>What the network's output means (converted to ε̂ before the step).</summary>
    public Prediction Prediction { get; }

    public DdimSampler(NoiseSchedule schedule, int steps = 50, float eta = 0f, bool clipX0 = true, Prediction prediction = Prediction.Epsilon)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Prediction = prediction;
        if (steps < 1 || steps > schedule.T) throw new ArgumentOutOfRangeException(nameof(steps), $"DdimSampler: steps must be in [1, {schedule.T}], got {steps}");
        if (!(eta >= 0 && eta <= 1)) throw new ArgumentOutOfRangeException(nameof(eta), $"DdimSampler: eta must be in [0, 1], got {eta}");
        Steps = steps; Eta = eta; ClipX0 = clipX0;
        Timesteps = SamplingTimesteps.Create(schedule.T, steps, TimestepSpacing.Trailing);
    }

    /// <summary>One DDIM update (ε̂ already converted from the model's output) from timestep <paramref name="t"/> to <paramref name="tPrev"/> (−1 = the clean end, ᾱ = 1). Returns x' and x̂_0.</summary>
    public (Tensor xPrev, Tensor x0Hat) Step(Tensor xt, int t, int tPrev, Tensor epsHat, Generator gen)
    {
        Schedule.CheckStep(t, "DdimSampler.Step");
        if (tPrev < -1 || tPrev >= t) throw new ArgumentOutOfRangeException(nameof(tPrev), $"DdimSampler.Step: tPrev must be in [−1, {t}), got {tPrev}");
        var ts = AncestralSampler.Full(t, xt.Dim(0));
        var x0 = Schedule.PredictX0(xt, ts, epsHat);
        var eps = epsHat;
        if (ClipX0)
        {
            AncestralSampler.Clip(x0);
            eps = Schedule.PredictEps(xt, ts, x0);
        }
        double a = Schedule.AlphaBars[t], ap = tPrev < 0 ? 1.0 : Schedule.AlphaBars[tPrev];
        double sigma = Eta * Math.Sqrt((1 - ap) / (1 - a)) * Math.Sqrt(1 - a / ap);
        float cx = (float)Math.Sqrt(ap), ce = (float)Math.Sqrt(Math.Max(0, 1 - ap - sigma * sigma)), cs = (float)sigma;
        var o = TensorScope.Uninit(xt.Size);
        var xd = x0.data; var ed = eps.data;
        for (int i = 0; i < o.Length; i++) o[i] = cx * xd[i] + ce * ed[i];
        if (sigma > 0)
        {
            var z = TensorScope.Uninit(o.Length);
            gen.FillNormal(z);
            for (int i = 0; i < o.Length; i++) o[i] += cs * z[i];
        }
        return (new Tensor(o, xt.Shape), x0);
    }

    /// <summary>Draws samples of <paramref name="shape"/> [B, …] with S model calls (see <see cref="AncestralSampler.Sample"/>).</summary>
    public Tensor Sample(NoisePredictor model, int[] shape, Tensor? labels, Generator gen, CancellationToken cancellation = default, Action<SamplingStep>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model); ArgumentNullException.ThrowIfNull(gen);
        return Run(model, Tensor.Randn(gen, shape), labels, gen, cancellation, progress);
    }

    /// <summary>Runs the chain from a given x_T.</summary>
    public Tensor Run(NoisePredictor model, Tensor xT, Tensor? labels, Generator gen, CancellationToken cancellation = default, Action<SamplingStep>? progress = null)
    {
        using var _ = Tensor.NoGrad();
        using var frozen = Nabla.NN.FrozenWeights.Begin();   // the weights are fixed for the run: convolutions pack them once
        var x = xT;
        int b = x.Dim(0);
        for (int i = 0; i < Steps; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = TensorScope.Begin();  // each step reuses the previous step's storage; x_{t−1} is kept
            int t = Timesteps[i], tPrev = i + 1 < Steps ? Timesteps[i + 1] : -1;
            var eps = AncestralSampler.ToEps(Schedule, Prediction, x, t, model(x, Tensor.Full(t, b), labels));
            var (next, x0) = Step(x, t, tPrev, eps, gen);
            progress?.Invoke(new SamplingStep(i, Steps, t, x, x0));
            x = scope.Keep(next);
        }
        return x;
    }
}
