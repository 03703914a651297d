using System.Numerics.Tensors;

namespace Nabla.Models;

/// <summary>
/// The reconstruction term of the autoencoders: −log p(x|z) of a Bernoulli decoder with logits f, summed over pixels
/// and divided by the batch size, ℓ = (1/N) Σ_i [max(f_i, 0) − f_i·x_i + log(1 + e^{−|f_i|})] — binary cross-entropy
/// on the logits, stable for any f; equal to PyTorch's sigmoid → binary_cross_entropy(sum)/N up to its log clamp
/// at −100. ∂ℓ/∂f_i = (σ(f_i) − x_i)/N. One fused pass each way with whole-span vector kernels and a single
/// scratch buffer (the general <c>Functional.BinaryCrossEntropyWithLogits</c> keeps per-element loss, ∂f and ∂x arrays).
/// </summary>
public static class BernoulliLoss
{
    const int Chunk = 2048;   // float partial sums of this length, accumulated in double

    static double Sum(ReadOnlySpan<float> v)
    {
        double s = 0;
        for (int i = 0; i < v.Length; i += Chunk) s += TensorPrimitives.Sum(v.Slice(i, Math.Min(Chunk, v.Length - i)));
        return s;
    }

    /// <summary>ℓ as a scalar tensor, differentiable in <paramref name="logits"/> (the targets x are data, in [0, 1]).</summary>
    public static Tensor SumPerSample(Tensor logits, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (!logits.Shape.AsSpan().SequenceEqual(target.Shape))
            throw new ArgumentException($"BernoulliLoss: logits of shape {ShapeMath.Format(logits.Shape)} and target of shape {ShapeMath.Format(target.Shape)} must match");
        if (logits.Rank == 0 || logits.Dim(0) == 0)
            throw new ArgumentException($"BernoulliLoss: logits of shape {ShapeMath.Format(logits.Shape)} need a non-empty batch dimension");
        if (target.TracksGrad)
            throw new ArgumentException("BernoulliLoss: the target must not require a gradient (use Functional.BinaryCrossEntropyWithLogits)");
        int n = logits.Dim(0);
        var f = logits.data.AsSpan(0, logits.Size);
        var x = target.data.AsSpan(0, target.Size);
        var tmp = TensorScope.Uninit(f.Length);   // fully written by Abs below
        // Σ max(f, 0) − Σ f·x + Σ log(1 + e^{−|f|})
        TensorPrimitives.Abs(f, tmp);
        TensorPrimitives.Negate(tmp, tmp);
        TensorPrimitives.Exp(tmp, tmp);
        TensorPrimitives.Add(tmp, 1f, tmp);
        TensorPrimitives.Log(tmp, tmp);
        double softplus = Sum(tmp);
        TensorPrimitives.Max(f, 0f, tmp);
        double relu = Sum(tmp);
        double dot = 0;
        for (int i = 0; i < f.Length; i += Chunk) dot += TensorPrimitives.Dot(f.Slice(i, Math.Min(Chunk, f.Length - i)), x.Slice(i, Math.Min(Chunk, f.Length - i)));
        var loss = Tensor.Scalar((float)((relu - dot + softplus) / n));
        return loss.Record("BernoulliLoss", new[] { logits }, gy =>
        {
            var gf = tmp;   // the forward's scratch buffer becomes ∂ℓ/∂f
            TensorPrimitives.Sigmoid(logits.data.AsSpan(0, logits.Size), gf);
            TensorPrimitives.Subtract(gf, target.data.AsSpan(0, target.Size), gf);
            TensorPrimitives.Multiply(gf, gy[0] / n, gf);
            logits.AccumulateGrad(gf);
        });
    }
}
