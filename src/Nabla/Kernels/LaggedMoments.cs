namespace Nabla.Kernels;

/// <summary>
/// The normal equations of an autoregression in one streaming pass, without forming the lag matrix:
/// for the rows t = p … n−1 of a series z and lags i, j = 0 … p (lag 0 is the target),
/// <c>sums[i] = Σ_t z_{t−i}</c> and <c>gram[i·(p+1) + j] = Σ_t z_{t−i} z_{t−j}</c>.
/// The rows are cut into fixed chunks that stay in L1 (each lag column of a chunk is a shifted slice of z),
/// chunks run in parallel and their partial sums are added in chunk order, so the result does not depend on
/// the thread count.
/// </summary>
public static class LaggedMoments
{
    const int Chunk = 2048;

    /// <summary>Fills <paramref name="sums"/> (p+1) and <paramref name="gram"/> ((p+1)², symmetric) for the series z.</summary>
    public static void Compute(double[] z, int p, Span<double> sums, Span<double> gram)
    {
        int n = z.Length, m = p + 1;
        if (p < 0 || n <= p) throw new ArgumentException($"LaggedMoments: need more than p = {p} points, got {n}");
        if (sums.Length < m || gram.Length < m * m) throw new ArgumentException($"LaggedMoments: output spans too small for p = {p}");
        int rows = n - p;
        int chunks = (rows + Chunk - 1) / Chunk;
        int slot = m + m * m;
        var part = new double[chunks * slot];
        var opts = new ParallelOptions { MaxDegreeOfParallelism = (long)rows * m * m > 2_000_000 ? -1 : 1 };
        Parallel.For(0, chunks, opts, c =>
        {
            int t0 = p + c * Chunk, len = Math.Min(Chunk, n - t0);
            var s = part.AsSpan(c * slot, slot);
            for (int i = 0; i < m; i++)
            {
                var a = new ReadOnlySpan<double>(z, t0 - i, len);
                s[i] = System.Numerics.Tensors.TensorPrimitives.Sum(a);
                var g = s.Slice(m + i * m, m);
                int j = i;
                for (; j + 4 <= m; j += 4)
                    DoubleLinalg.Dot4(a, new ReadOnlySpan<double>(z, t0 - j, len), new ReadOnlySpan<double>(z, t0 - j - 1, len),
                        new ReadOnlySpan<double>(z, t0 - j - 2, len), new ReadOnlySpan<double>(z, t0 - j - 3, len),
                        out g[j], out g[j + 1], out g[j + 2], out g[j + 3]);
                for (; j < m; j++) g[j] = DoubleLinalg.Dot(a, new ReadOnlySpan<double>(z, t0 - j, len));
            }
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
