namespace Nabla.Diffusion;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans 2022): ε̂ = (1 + w)·ε(x, c) − w·ε(x, ∅) with guidance scale w ≥ 0.
/// w = 0 is plain conditional sampling; larger w gives more typical, less varied samples of class c.
/// The conditional and unconditional predictions are computed in one batched forward pass of 2B samples.
/// </summary>
public static class ClassifierFreeGuidance
{
    /// <summary>Wraps <paramref name="model"/> so that conditional calls are guided with scale <paramref name="scale"/>;
    /// <paramref name="nullLabel"/> is the model's "no label" index. Calls without labels pass through unchanged.
    /// <paramref name="guideAt"/> (by timestep; null = always) limits guidance to some steps (<see cref="GuidanceInterval"/>):
    /// rows at other timesteps get the plain conditional prediction, and a call with no guided row runs the network once.</summary>
    public static NoisePredictor Wrap(NoisePredictor model, int nullLabel, float scale, Func<int, bool>? guideAt = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(scale >= 0) || float.IsInfinity(scale)) throw new ArgumentException($"ClassifierFreeGuidance: scale must be a finite number ≥ 0, got {scale}");
        if (nullLabel < 0) throw new ArgumentException($"ClassifierFreeGuidance: nullLabel must be ≥ 0, got {nullLabel}");
        if (scale == 0) return model;
        return (x, t, labels) =>
        {
            if (labels == null) return model(x, t, null);
            int b = x.Dim(0);
            if (labels.Rank != 1 || labels.Size != b || t.Rank != 1 || t.Size != b)
                throw new ArgumentException($"ClassifierFreeGuidance: x {ShapeMath.Format(x.Shape)} needs t and labels of shape [{b}], got {ShapeMath.Format(t.Shape)} and {ShapeMath.Format(labels.Shape)}");
            bool[]? guided = null;
            if (guideAt != null)
            {
                var ts = t.Data;
                guided = new bool[b];
                int count = 0;
                for (int i = 0; i < b; i++) if (guided[i] = guideAt((int)ts[i])) count++;
                if (count == 0) return model(x, t, labels);
                if (count == b) guided = null;
            }
            var none = Tensor.Full(nullLabel, b);
            var eps = model(Tensor.Concat(new[] { x, x }), Tensor.Concat(new[] { t, t }), Tensor.Concat(new[] { labels, none }));
            var parts = eps.Split(new[] { b, b });
            var result = Combine(parts[0], parts[1], scale);
            if (guided != null)
            {
                // rows outside the interval: the conditional prediction itself
                int per = result.Size / b;
                var r = result.data; var c = parts[0].data;
                for (int i = 0; i < b; i++)
                    if (!guided[i]) Array.Copy(c, i * per, r, i * per, per);
            }
            return result;
        };
    }

    /// <summary>ε̂ = (1 + w)·ε_cond − w·ε_uncond.</summary>
    public static Tensor Combine(Tensor condEps, Tensor uncondEps, float scale)
    {
        if (!ShapeMath.Equal(condEps.shape, uncondEps.shape))
            throw new ArgumentException($"ClassifierFreeGuidance.Combine: shapes {ShapeMath.Format(condEps.Shape)} and {ShapeMath.Format(uncondEps.Shape)} differ");
        var o = TensorScope.Uninit(condEps.Size);
        float a = 1 + scale, c = scale;
        var ce = condEps.data; var ue = uncondEps.data;
        for (int i = 0; i < o.Length; i++) o[i] = a * ce[i] - c * ue[i];
        return new Tensor(o, condEps.shape);
    }
}
