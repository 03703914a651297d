using System.Numerics.Tensors;

namespace Nabla.NN;

/// <summary>
/// The backward scaffold every convolution strategy shares: which gradients are wanted, ∂x (zeroed, or written whole
/// by a strategy), ∂W as one partial sum per worker slot (slot 0 is the result; the others are added in slot order,
/// so ∂W is the same bit for bit from run to run), and the hand-over to the inputs with ∂b = Σ_{n, l} ∂y.
/// </summary>
internal sealed class ConvGrads
{
    readonly Tensor x, weight;
    readonly Tensor? bias;
    readonly float[]?[] partial;

    public bool NeedX { get; set; }
    public bool NeedW { get; }
    public float[]? Gx { get; }
    public float[]? Gw { get; }

    public ConvGrads(Tensor x, Tensor weight, Tensor? bias, int workers)
    {
        this.x = x; this.weight = weight; this.bias = bias;
        NeedX = x.TracksGrad; NeedW = weight.TracksGrad;
        Gx = NeedX ? TensorScope.Zeroed(x.Size) : null;
        Gw = NeedW ? TensorScope.Zeroed(weight.Size) : null;
        partial = new float[]?[Math.Max(1, workers)];
    }

    /// <summary>Worker slot <paramref name="w"/>'s ∂W partial sum (slot 0 writes straight into the result).</summary>
    public float[]? GwFor(int w) => !NeedW ? null : w == 0 ? Gw : (partial[w] ??= TensorScope.Zeroed(weight.Size));

    /// <summary>Adds the slots' ∂W partial sums in order and hands ∂x, ∂W and ∂b (from ∂y [n, cout, l]) to the inputs.</summary>
    public void Finish(float[] gy, int n, int cout, int l)
    {
        if (Gx != null) x.AccumulateGrad(Gx);
        if (Gw != null)
        {
            for (int w = 1; w < partial.Length; w++) if (partial[w] != null) TensorPrimitives.Add(Gw, partial[w]!, Gw);
            weight.AccumulateGrad(Gw);
        }
        if (bias != null && bias.TracksGrad) bias.AccumulateGrad(SumPerChannel(gy, n, cout, l));
    }

    /// <summary>∂b[c] = Σ_{n, l} g[n, c, l] for g [N, C, L].</summary>
    static float[] SumPerChannel(float[] g, int n, int c, int l)
    {
        var gb = TensorScope.Zeroed(c);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++) gb[j] += TensorPrimitives.Sum(g.AsSpan((i * c + j) * l, l));
        return gb;
    }
}
