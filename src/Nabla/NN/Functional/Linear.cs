using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>
/// Differentiable functions of the layers (torch.nn.functional). This file holds the dense one (Linear); the others
/// (convolution, pooling, interpolation, normalization, losses) are partial parts of this class, one file each.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// y = x·Wᵀ + b for x [..., in], W [out, in], b [out]: one GEMM forward, two backward
    /// (∂L/∂x = G·W, ∂L/∂W = Gᵀ·x, ∂L/∂b = Σ_rows G).
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        int inF = weight.Dim(1), outF = weight.Dim(0);
        if (x.Dim(-1) != inF) throw new ArgumentException($"Linear: input {ShapeMath.Format(x.Shape)} does not end in {inF} (weight {ShapeMath.Format(weight.Shape)})");
        if (bias != null && (bias.Rank != 1 || bias.Size != outF)) throw new ArgumentException($"Linear: bias {ShapeMath.Format(bias.Shape)} must be [{outF}]");
        int rows = x.Size / inF;
        var outShape = x.Shape; outShape[^1] = outF;
        var y = new Tensor(TensorScope.Uninit(rows * outF), outShape);   // fully written below (bias rows, or β = 0)
        if (bias != null) for (int r = 0; r < rows; r++) bias.data.AsSpan().CopyTo(y.data.AsSpan(r * outF, outF));
        Gemm.Sgemm(false, true, rows, outF, inF, x.data, inF, weight.data, inF, y.data, outF, beta: bias != null ? 1f : 0f);
        var inputs = bias != null ? new[] { x, weight, bias } : new[] { x, weight };
        return y.Record("Linear", inputs, g =>
        {
            if (x.TracksGrad)
            {
                var gx = TensorScope.Uninit(x.Size);   // β = 0: overwritten
                Gemm.Sgemm(false, false, rows, inF, outF, g, outF, weight.data, inF, gx, inF);
                x.AccumulateGrad(gx);
            }
            if (weight.LeafGradTarget(out float beta) is float[] target)
            {
                // a parameter: the product writes (or adds) straight into its gradient
                Gemm.Sgemm(true, false, outF, inF, rows, g, outF, x.data, inF, target, inF, beta);
                weight.AdoptLeafGrad(target);
            }
            else if (weight.TracksGrad)
            {
                var gw = TensorScope.Uninit(weight.Size);
                Gemm.Sgemm(true, false, outF, inF, rows, g, outF, x.data, inF, gw, inF);
                weight.AccumulateGrad(gw);
            }
            if (bias != null && bias.TracksGrad)
            {
                var gb = TensorScope.Zeroed(outF);
                for (int r = 0; r < rows; r++) System.Numerics.Tensors.TensorPrimitives.Add(gb, g.AsSpan(r * outF, outF), gb);
                bias.AccumulateGrad(gb);
            }
        });
    }
}
