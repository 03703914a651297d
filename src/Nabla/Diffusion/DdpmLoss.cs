using Nabla.NN;

namespace Nabla.Diffusion;

/// <summary>
/// The simplified DDPM objective (Ho et al. 2020, eq. 14) for any <see cref="Prediction"/>: with
/// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε and the target y = ε, x_0 or v = √ᾱ_t ε − √(1 − ᾱ_t) x_0,
/// L = mean over samples i and elements of w_i·(y − f_θ(x_t, t))², t ~ U{0, …, T−1} and ε ~ N(0, I) drawn per sample.
/// w_i = 1 (plain MSE, the mean over all elements), or min-SNR-γ (<see cref="PredictionMath.MinSnrWeight"/>) when γ &gt; 0.
/// </summary>
public static class DdpmLoss
{
    /// <summary>Draws t (one per sample) and then ε from <paramref name="gen"/>, in that order, and returns the loss (differentiable w.r.t. the model).</summary>
    public static Tensor Compute(NoiseSchedule schedule, NoisePredictor model, Tensor x0, Tensor? labels, Generator gen,
        Prediction objective = Prediction.Epsilon, float minSnrGamma = 0)
    {
        ArgumentNullException.ThrowIfNull(schedule); ArgumentNullException.ThrowIfNull(x0); ArgumentNullException.ThrowIfNull(gen);
        if (x0.Rank < 2) throw new ArgumentException($"DdpmLoss: x0 of shape {ShapeMath.Format(x0.Shape)} needs a batch dimension and data dimensions");
        var t = new int[x0.Dim(0)];
        gen.FillInt(t, 0, schedule.T);
        var noise = Tensor.RandnTemp(gen, x0.Shape);
        return Compute(schedule, model, x0, labels, t, noise, objective, minSnrGamma);
    }

    /// <summary>The loss for given timesteps and noise.</summary>
    public static Tensor Compute(NoiseSchedule schedule, NoisePredictor model, Tensor x0, Tensor? labels, int[] t, Tensor noise,
        Prediction objective = Prediction.Epsilon, float minSnrGamma = 0)
    {
        ArgumentNullException.ThrowIfNull(schedule); ArgumentNullException.ThrowIfNull(model);
        if (labels != null && (labels.Rank != 1 || labels.Size != x0.Dim(0)))
            throw new ArgumentException($"DdpmLoss: labels {ShapeMath.Format(labels.Shape)} must have shape [{x0.Dim(0)}]");
        if (!(minSnrGamma >= 0)) throw new ArgumentException($"DdpmLoss: minSnrGamma must be ≥ 0 (0 = off), got {minSnrGamma}");
        var xt = schedule.QSample(x0, t, noise);
        var tt = new float[t.Length];
        for (int i = 0; i < t.Length; i++) tt[i] = t[i];
        var output = model(xt, new Tensor(tt, t.Length), labels);
        if (!ShapeMath.Equal(output.shape, noise.shape))
            throw new ArgumentException($"DdpmLoss: the model returned {ShapeMath.Format(output.Shape)} for input {ShapeMath.Format(xt.Shape)}; the {objective} objective needs the same shape");
        var target = objective == Prediction.Epsilon ? noise
            : PredictionMath.CombineRows(x0, noise, i => PredictionMath.TargetCoefficients(objective, schedule.AlphaBars[t[i]]));
        if (minSnrGamma == 0) return Functional.MseLoss(output, target);
        // Σ_i w_i · mean_j (y − f)²_ij / B: per-sample weights broadcast over the data dimensions.
        var ws = new float[t.Length];
        for (int i = 0; i < t.Length; i++)
            ws[i] = (float)PredictionMath.MinSnrWeight(objective, PredictionMath.Snr(schedule.AlphaBars[t[i]]), minSnrGamma);
        var wshape = new int[x0.Rank]; Array.Fill(wshape, 1); wshape[0] = t.Length;
        var sq = Functional.MseLoss(output, target, Reduction.None);
        return (sq * new Tensor(ws, wshape)).Mean();
    }
}
