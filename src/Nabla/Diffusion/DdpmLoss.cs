using Nabla.NN;

namespace Nabla.Diffusion;

/// <summary>
/// The simplified DDPM objective (Ho et al. 2020, eq. 14): L = ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²,
/// averaged over all elements (MSE mean), with t ~ U{0, …, T−1} and ε ~ N(0, I) drawn per sample.
/// </summary>
public static class DdpmLoss
{
    /// <summary>Draws t (one per sample) and then ε from <paramref name="gen"/>, in that order, and returns the loss (differentiable w.r.t. the model).</summary>
    public static Tensor Compute(NoiseSchedule schedule, NoisePredictor model, Tensor x0, Tensor? labels, Generator gen)
    {
        ArgumentNullException.ThrowIfNull(schedule); ArgumentNullException.ThrowIfNull(x0); ArgumentNullException.ThrowIfNull(gen);
        if (x0.Rank < 2) throw new ArgumentException($"DdpmLoss: x0 of shape {ShapeMath.Format(x0.Shape)} needs a batch dimension and data dimensions");
        var t = new int[x0.Dim(0)];
        gen.FillInt(t, 0, schedule.T);
        var noise = Tensor.RandnTemp(gen, x0.Shape);
        return Compute(schedule, model, x0, labels, t, noise);
    }

    /// <summary>The loss for given timesteps and noise.</summary>
    public static Tensor Compute(NoiseSchedule schedule, NoisePredictor model, Tensor x0, Tensor? labels, int[] t, Tensor noise)
    {
        ArgumentNullException.ThrowIfNull(schedule); ArgumentNullException.ThrowIfNull(model);
        if (labels != null && (labels.Rank != 1 || labels.Size != x0.Dim(0)))
            throw new ArgumentException($"DdpmLoss: labels {ShapeMath.Format(labels.Shape)} must have shape [{x0.Dim(0)}]");
        var xt = schedule.QSample(x0, t, noise);
        var tt = new float[t.Length];
        for (int i = 0; i < t.Length; i++) tt[i] = t[i];
        var epsHat = model(xt, new Tensor(tt, t.Length), labels);
        if (!ShapeMath.Equal(epsHat.shape, noise.shape))
            throw new ArgumentException($"DdpmLoss: the model returned {ShapeMath.Format(epsHat.Shape)} for input {ShapeMath.Format(xt.Shape)}; ε-prediction needs the same shape");
        return Functional.MseLoss(epsHat, noise);
    }
}
