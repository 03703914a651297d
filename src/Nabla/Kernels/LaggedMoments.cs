namespace Nabla.Kernels;

/// <summary>
/// The normal equations of an autoregression in one streaming pass, without forming the lag matrix:
/// for the rows t = p … n−1 of the shifted series z = y − shift and lags i, j = 0 … p (lag 0 is the target),
/// <c>sums[i] = Σ_t z_{t−i}</c> and <c>gram[i·(p+1) + j] = Σ_t z_{t−i} z_{t−j}</c>.
/// The rows are cut into fixed chunks: each chunk of y (plus its p earlier points) is shifted into a small
/// buffer that stays in L1, and every lag column is a slice of that buffer. Chunks run in parallel and their
/// partial sums are added in chunk order, so the result does not depend on the thread count. The shift (e.g.
/// the series' mean) keeps the normal equations well conditioned; no copy of the series is made.
/// </summary>
public static class LaggedMoments
{
    const int Chunk = 2048;

    /// <summary>Fills <paramref name="sums"/> (p+1) and <paramref name="gram"/> ((p+1)², symmetric) for the series z.</summary>
    public static void Compute(double[] y, int p, double shift, Span<double> sums, Span<double> gram)
    {
        int n = y.Length, m = p + 1;
        if (p < 0 || n <= p) throw new ArgumentException($"LaggedMoments: need more than p = {p} points, got {n}");
        if (sums.Length < m || gram.Length < m * m) throw new ArgumentException($"LaggedMoments: output spans too small for p = {p}");
        int rows = n - p;
        int chunks = (rows + Chunk - 1) / Chunk;
        int slot = m + m * m;
        var part = new double[chunks * slot];
        WorkerPool.For(chunks, (double)rows * m * m, ParallelThresholds.DoubleWork, c =>
        {
            int t0 = p + c * Chunk, len = Math.Min(Chunk, n - t0);
            var s = part.AsSpan(c * slot, slot);
            var buf = System.Buffers.ArrayPool<double>.Shared.Rent(len + p);
            try
            {
                // z[k] = y[t0 − p + k] − shift; lag i of row t0 + r is z[p − i + r]
                var z = buf.AsSpan(0, len + p);
                System.Numerics.Tensors.TensorPrimitives.Subtract(new ReadOnlySpan<double>(y, t0 - p, len + p), shift, z);
                for (int i = 0; i < m; i++)
                {
                    ReadOnlySpan<double> a = z.Slice(p - i, len);
                    s[i] = System.Numerics.Tensors.TensorPrimitives.Sum(a);
                    var g = s.Slice(m + i * m, m);
                    int j = i;
                    for (; j + 4 <= m; j += 4)
                        DoubleLinalg.Dot4(a, z.Slice(p - j, len), z.Slice(p - j - 1, len), z.Slice(p - j - 2, len), z.Slice(p - j - 3, len),
                            out g[j], out g[j + 1], out g[j + 2], out g[j + 3]);
                    for (; j < m; j++) g[j] = DoubleLinalg.Dot(a, z.Slice(p - j, len));
                }
            }
            finally { System.Buffers.ArrayPool<double>.Shared.Return(buf); }
        });
        sums[..m].Clear();
        gram[..(m * m)].Clear();
        for (int c = 0; c < chunks; c++)
        {
            var s = part.AsSpan(c * slot, slot);
            for (int i = 0; i < m; i++) sums[i] += s[i];
            for (int i = 0; i < m; i++)
                for (int j = i; j < m; j++) gram[i * m + j] += s[m + i * m + j];
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < i; j++) gram[i * m + j] = gram[j * m + i];
    }
}
