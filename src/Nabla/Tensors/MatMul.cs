using Nabla.Kernels;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with NumPy semantics: [..., m, k] @ [..., k, n] → [..., m, n], batch dims broadcast;
    /// a 1-D operand is treated as a row (left) or column (right) vector and its dim dropped.
    /// Gradients: ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G (summed over broadcast batch dims).
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank == 0 || b.Rank == 0) throw new ArgumentException($"MatMul: operands must be at least 1-D, got {ShapeMath.Format(a.shape)} and {ShapeMath.Format(b.shape)}");
        var a2 = a.Rank == 1 ? a.Reshape(1, a.shape[0]) : a;
        var b2 = b.Rank == 1 ? b.Reshape(b.shape[0], 1) : b;
        var r = MatMulCore(a2, b2);
        if (a.Rank == 1) r = r.Squeeze(-2);
        if (b.Rank == 1) r = r.Squeeze(-1);
        return r;
    }

    public static Tensor operator %(Tensor a, Tensor b) => MatMul(a, b);
    public Tensor MatMul(Tensor other) => MatMul(this, other);

    static Tensor MatMulCore(Tensor a, Tensor b)
    {
        int m = a.shape[^2], k = a.shape[^1], kb = b.shape[^2], n = b.shape[^1];
        if (k != kb) throw new ArgumentException($"MatMul: inner dimensions differ: {ShapeMath.Format(a.shape)} @ {ShapeMath.Format(b.shape)} ({k} vs {kb})");
        var aBatch = a.shape[..^2]; var bBatch = b.shape[..^2];
        var batch = ShapeMath.Broadcast(aBatch, bBatch, "MatMul");
        int nb = ShapeMath.Size(batch);
        var outShape = batch.Concat(new[] { m, n }).ToArray();
        var o = new Tensor(TensorScope.Zeroed(ShapeMath.Size(outShape)), outShape);
        var aOff = BatchOffsets(aBatch, batch, m * k); var bOff = BatchOffsets(bBatch, batch, k * n);
        for (int i = 0; i < nb; i++)
            Gemm.Sgemm(false, false, m, n, k, a.data.AsSpan(aOff[i]), k, b.data.AsSpan(bOff[i]), n, o.data.AsSpan(i * m * n, m * n), n);
        return o.Record("MatMul", new[] { a, b }, gy =>
        {
            if (a.TracksGrad)
            {
                var ga = TensorScope.Zeroed(a.Size);
                for (int i = 0; i < nb; i++)   // G·Bᵀ, accumulated where a was broadcast
                    Gemm.Sgemm(false, true, m, k, n, gy.AsSpan(i * m * n), n, b.data.AsSpan(bOff[i]), n, ga.AsSpan(aOff[i], m * k), k, beta: 1f);
                a.AccumulateGrad(ga);
            }
            if (b.TracksGrad)
            {
                var gb = TensorScope.Zeroed(b.Size);
                for (int i = 0; i < nb; i++)   // Aᵀ·G
                    Gemm.Sgemm(true, false, k, n, m, a.data.AsSpan(aOff[i]), k, gy.AsSpan(i * m * n), n, gb.AsSpan(bOff[i], k * n), n, beta: 1f);
                b.AccumulateGrad(gb);
            }
        });
    }

    /// <summary>Element offset of each broadcast batch entry in an operand with batch shape <paramref name="own"/>.</summary>
    static int[] BatchOffsets(int[] own, int[] batch, int matSize)
    {
        int nb = ShapeMath.Size(batch);
        var st = ShapeMath.BroadcastStrides(own, batch);
        var offs = new int[nb];
        var idx = new int[batch.Length];
        for (int i = 0; i < nb; i++)
        {
            int off = 0;
            for (int d = 0; d < batch.Length; d++) off += idx[d] * st[d];
            offs[i] = off * matSize;
            for (int d = batch.Length - 1; d >= 0; d--) { if (++idx[d] < batch[d]) break; idx[d] = 0; }
        }
        return offs;
    }
}
