using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>Loss functions (torch.nn.functional.*_loss), each with a fused closed-form backward.</summary>
public static partial class Functional
{
    static void CheckSameShape(Tensor a, Tensor b, string op, string na, string nb)
    {
        if (!a.shape.AsSpan().SequenceEqual(b.shape))
            throw new ArgumentException($"{op}: {na} of shape {ShapeMath.Format(a.shape)} and {nb} of shape {ShapeMath.Format(b.shape)} must have the same shape");
    }

    /// <summary>
    /// Reduces per-element terms ℓ (shape <paramref name="shape"/>) and records the backward: ∂L/∂input_k =
    /// w·d_k[i] where w is the upstream gradient times the reduction's weight (1/n, 1, ½) or the per-element upstream
    /// gradient for <see cref="Reduction.None"/>. <paramref name="derivs"/>[k] holds ∂ℓ_i/∂input_k (null: no gradient).
    /// </summary>
    static Tensor ReduceLoss(string op, float[] loss, int[] shape, Reduction reduction, Tensor[] inputs, float[]?[] derivs, int[]? derivIndex = null)
    {
        Tensor y;
        float weight;
        switch (reduction)
        {
            case Reduction.None: y = new Tensor(loss, shape); weight = 1f; break;
            case Reduction.Mean: y = Tensor.Scalar((float)(SumDouble(loss) / loss.Length)); weight = 1f / loss.Length; break;
            case Reduction.Sum: y = Tensor.Scalar((float)SumDouble(loss)); weight = 1f; break;
            case Reduction.HalfSum: y = Tensor.Scalar((float)(0.5 * SumDouble(loss))); weight = 0.5f; break;
            default: throw new ArgumentException($"{op}: unknown reduction {reduction}");
        }
        return y.Record(op, inputs, gy =>
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                var t = inputs[k]; var d = derivs[k];
                if (d == null || !t.TracksGrad) continue;
                var g = TensorScope.Zeroed(t.Size);
                if (reduction == Reduction.None)
                {
                    if (derivIndex == null || g.Length == d.Length)
                        for (int i = 0; i < d.Length; i++) g[i] = gy[i] * d[i];
                    else // a broadcast input (Gaussian NLL variance): sum back over its expanded elements
                        for (int i = 0; i < d.Length; i++) g[derivIndex[i]] += gy[i] * d[i];
                }
                else
                {
                    float s = gy[0] * weight;
                    if (derivIndex == null || g.Length == d.Length)
                        System.Numerics.Tensors.TensorPrimitives.Multiply(d, s, g);
                    else
                        for (int i = 0; i < d.Length; i++) g[derivIndex[i]] += s * d[i];
                }
                t.AccumulateGrad(g);
            }
        });
    }

    static double SumDouble(float[] v)
    {
        double s = 0;
        foreach (var x in v) s += x;
        return s;
    }

    /// <summary>Mean squared error ℓ_i = (x_i − y_i)²; reductions mean, sum, none, or the notes' ½·Σ (HalfSum).</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(input, target, "MseLoss", "input", "target");
        int n = input.Size;
        var loss = TensorScope.Zeroed(n); var dx = TensorScope.Zeroed(n); var dt = TensorScope.Zeroed(n);
        for (int i = 0; i < n; i++)
        {
            float d = input.data[i] - target.data[i];
            loss[i] = d * d; dx[i] = 2 * d; dt[i] = -2 * d;
        }
        return ReduceLoss("MseLoss", loss, input.shape, reduction, new[] { input, target }, new[] { dx, dt });
    }

    /// <summary>
    /// Cross-entropy from logits [N, C] (or [N, C, d…]) and integer class labels (N·Πd of them, row-major [N, d…]):
    /// ℓ_i = −(1 − ε)·log softmax(x_i)[y_i] − (ε/C)·Σ_c log softmax(x_i)[c], with the log-softmax in the stable
    /// max-shifted form. Labels equal to <paramref name="ignoreIndex"/> contribute nothing (and are not counted by the
    /// mean). Backward in one pass: ∂ℓ_i/∂x_ic = softmax_c − (1 − ε)·[c = y_i] − ε/C.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        const string op = "CrossEntropy";
        if (logits.Rank < 2) throw new ArgumentException($"{op}: logits of shape {ShapeMath.Format(logits.shape)} must be [N, C] or [N, C, d…]");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentException($"{op}: label_smoothing must be in [0, 1], got {labelSmoothing}");
        if (reduction == Reduction.HalfSum) throw new ArgumentException($"{op}: reduction HalfSum is only defined for MseLoss");
        int n = logits.shape[0], c = logits.shape[1], inner = 1;
        for (int i = 2; i < logits.Rank; i++) inner *= logits.shape[i];
        var tshape = new int[logits.Rank - 1];
        tshape[0] = n;
        for (int i = 2; i < logits.Rank; i++) tshape[i - 1] = logits.shape[i];
        if (targets.Length != n * inner)
            throw new ArgumentException($"{op}: {targets.Length} targets for logits of shape {ShapeMath.Format(logits.shape)} (expected target shape {ShapeMath.Format(tshape)})");
        var y = targets.ToArray();
        for (int i = 0; i < y.Length; i++)
            if (y[i] != ignoreIndex && (uint)y[i] >= (uint)c)
                throw new IndexOutOfRangeException($"{op}: target {y[i]} at {i} is out of range for {c} classes (logits {ShapeMath.Format(logits.shape)})");
        var logp = TensorScope.Zeroed(logits.Size);
        SoftmaxKernel.Softmax(logits.data, n, c, inner, logp, log: true);
        var loss = TensorScope.Zeroed(n * inner);
        float eps = labelSmoothing, on = 1 - eps, off = eps / c;
        int count = 0;
        for (int p = 0; p < n; p++)
            for (int q = 0; q < inner; q++)
            {
                int r = p * inner + q;
                if (y[r] == ignoreIndex) continue;
                count++;
                int b = p * c * inner + q;
                double l = -on * logp[b + y[r] * inner];
                if (eps > 0)
                {
                    double s = 0;
                    for (int k = 0; k < c; k++) s += logp[b + k * inner];
                    l -= off * s;
                }
                loss[r] = (float)l;
            }
        Tensor result = reduction switch
        {
            Reduction.None => new Tensor(loss, tshape),
            Reduction.Sum => Tensor.Scalar((float)SumDouble(loss)),
            _ => Tensor.Scalar((float)(SumDouble(loss) / count)),
        };
        return result.Record(op, new[] { logits }, gy =>
        {
            var gx = TensorScope.Zeroed(logits.Size);
            float scale = reduction == Reduction.Mean ? gy[0] / count : gy[0];
            for (int p = 0; p < n; p++)
                for (int q = 0; q < inner; q++)
                {
                    int r = p * inner + q;
                    if (y[r] == ignoreIndex) continue;
                    float s = reduction == Reduction.None ? gy[r] : scale;
                    int b = p * c * inner + q;
                    for (int k = 0; k < c; k++) gx[b + k * inner] = s * (MathF.Exp(logp[b + k * inner]) - off);
                    gx[b + y[r] * inner] -= s * on;
                }
            logits.AccumulateGrad(gx);
        });
    }

    /// <summary>Cross-entropy with integer-valued labels given as a tensor of shape [N] (or [N, d…]).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        if (logits.Rank >= 2 && targets.Rank != logits.Rank - 1)
            throw new ArgumentException($"CrossEntropy: targets of shape {ShapeMath.Format(targets.shape)} do not match logits of shape {ShapeMath.Format(logits.shape)} (expected [N, d…] without the class dimension)");
        return CrossEntropy(logits, ToIndices(targets, "CrossEntropy"), reduction, ignoreIndex, labelSmoothing);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities p ∈ [0, 1]: ℓ = −(y·log p + (1 − y)·log(1 − p)), each log clamped at ≥ −100
    /// as PyTorch (so p = 0 or 1 gives a finite loss). ∂ℓ/∂p = (p − y)/max(p(1 − p), 1e-12).
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string op = "BinaryCrossEntropy";
        CheckSameShape(input, target, op, "input", "target");
        if (reduction == Reduction.HalfSum) throw new ArgumentException($"{op}: reduction HalfSum is only defined for MseLoss");
        int n = input.Size;
        var loss = TensorScope.Zeroed(n); var dx = TensorScope.Zeroed(n); var dt = TensorScope.Zeroed(n);
        for (int i = 0; i < n; i++)
        {
            float p = input.data[i], t = target.data[i];
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"{op}: input (shape {ShapeMath.Format(input.shape)}) must hold probabilities in [0, 1], got {p} at {i}");
            float lp = MathF.Max(MathF.Log(p), -100f), l1p = MathF.Max(MathF.Log(1 - p), -100f);
            loss[i] = -(t * lp + (1 - t) * l1p);
            dx[i] = (p - t) / MathF.Max((1 - p) * p, 1e-12f);
            dt[i] = l1p - lp;
        }
        return ReduceLoss(op, loss, input.shape, reduction, new[] { input, target }, new[] { dx, dt });
    }

    /// <summary>
    /// Binary cross-entropy from logits x, stable for any x: ℓ = max(x, 0) − x·y + log(1 + e^{−|x|});
    /// ∂ℓ/∂x = σ(x) − y, ∂ℓ/∂y = −x.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string op = "BinaryCrossEntropyWithLogits";
        CheckSameShape(input, target, op, "input", "target");
        if (reduction == Reduction.HalfSum) throw new ArgumentException($"{op}: reduction HalfSum is only defined for MseLoss");
        int n = input.Size;
        var loss = TensorScope.Zeroed(n); var dx = TensorScope.Zeroed(n); var dt = TensorScope.Zeroed(n);
        for (int i = 0; i < n; i++)
        {
            float x = input.data[i], t = target.data[i];
            loss[i] = MathF.Max(x, 0) - x * t + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)));
            dx[i] = 1f / (1f + MathF.Exp(-x)) - t;
            dt[i] = -x;
        }
        return ReduceLoss(op, loss, input.shape, reduction, new[] { input, target }, new[] { dx, dt });
    }

    /// <summary>
    /// KL(N(μ, σ²) ‖ N(0, I)) of a diagonal Gaussian given μ and log σ²: ℓ_i = ½(μ_i² + σ_i² − 1 − log σ_i²);
    /// summed by default (the VAE convention; divide by the batch size for a per-sample value).
    /// ∂ℓ/∂μ = μ, ∂ℓ/∂log σ² = ½(σ² − 1).
    /// </summary>
    public static Tensor GaussianKlDivergence(Tensor mu, Tensor logVar, Reduction reduction = Reduction.Sum)
    {
        const string op = "GaussianKlDivergence";
        CheckSameShape(mu, logVar, op, "mu", "logvar");
        if (reduction == Reduction.HalfSum) throw new ArgumentException($"{op}: reduction HalfSum is only defined for MseLoss");
        int n = mu.Size;
        var loss = TensorScope.Zeroed(n); var dm = TensorScope.Zeroed(n); var dl = TensorScope.Zeroed(n);
        for (int i = 0; i < n; i++)
        {
            float m = mu.data[i], lv = logVar.data[i], v = MathF.Exp(lv);
            loss[i] = 0.5f * (m * m + v - 1 - lv);
            dm[i] = m; dl[i] = 0.5f * (v - 1);
        }
        return ReduceLoss(op, loss, mu.shape, reduction, new[] { mu, logVar }, new[] { dm, dl });
    }

    /// <summary>
    /// Gaussian negative log-likelihood (torch.nn.GaussianNLLLoss): ℓ = ½(log v + (x − y)²/v) (+ ½ log 2π when
    /// <paramref name="full"/>), v = max(var, eps) where the clamp passes the gradient through unchanged (as PyTorch).
    /// var has the input's shape, or the input's shape without its last dimension, or with a last dimension of 1
    /// (one variance per row). ∂ℓ/∂x = (x − y)/v, ∂ℓ/∂v = ½(1/v − (x − y)²/v²).
    /// </summary>
    public static Tensor GaussianNllLoss(Tensor input, Tensor target, Tensor var, bool full = false, float eps = 1e-6f, Reduction reduction = Reduction.Mean)
    {
        const string op = "GaussianNllLoss";
        CheckSameShape(input, target, op, "input", "target");
        if (reduction == Reduction.HalfSum) throw new ArgumentException($"{op}: reduction HalfSum is only defined for MseLoss");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps}");
        int n = input.Size;
        int last = input.Rank == 0 ? 1 : input.shape[^1];
        bool perRow;
        if (var.shape.AsSpan().SequenceEqual(input.shape)) perRow = false;
        else if (input.Rank >= 1 && (var.shape.AsSpan().SequenceEqual(input.shape.AsSpan(0, input.Rank - 1))
                 || (var.Rank == input.Rank && var.shape[^1] == 1 && var.shape.AsSpan(0, var.Rank - 1).SequenceEqual(input.shape.AsSpan(0, input.Rank - 1)))))
            perRow = true;
        else
            throw new ArgumentException($"{op}: var of shape {ShapeMath.Format(var.shape)} does not fit input of shape {ShapeMath.Format(input.shape)} (same shape, or without / with size 1 in the last dimension)");
        foreach (var v in var.data)
            if (v < 0 || float.IsNaN(v)) throw new ArgumentException($"{op}: var (shape {ShapeMath.Format(var.shape)}) has a negative entry {v}");
        var loss = TensorScope.Zeroed(n); var dx = TensorScope.Zeroed(n); var dt = TensorScope.Zeroed(n); var dv = TensorScope.Zeroed(n);
        var vIndex = perRow ? new int[n] : null;
        float c = full ? 0.5f * MathF.Log(2 * MathF.PI) : 0f;
        for (int i = 0; i < n; i++)
        {
            int vi = perRow ? i / last : i;
            if (vIndex != null) vIndex[i] = vi;
            float v = MathF.Max(var.data[vi], eps), d = input.data[i] - target.data[i];
            loss[i] = 0.5f * (MathF.Log(v) + d * d / v) + c;
            dx[i] = d / v; dt[i] = -d / v;
            dv[i] = 0.5f * (1 / v - d * d / (v * v));
        }
        return ReduceLoss(op, loss, input.shape, reduction, new[] { input, target, var }, new[] { dx, dt, dv }, vIndex);
    }
}
