using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>
/// The im2col strategy for ungrouped convolutions, computed a chunk of images at a time: the im2col matrices of B images sit side by side in
/// one col [K, B·L] (image b in columns [b·L, (b+1)·L)), so each chunk costs one GEMM with n = B·L instead of B thin
/// ones (the weight matrix is packed once per chunk, the micro-kernel runs on long rows). In the forward pass each core
/// claims chunks dynamically; in the backward pass worker slot w takes chunks w, w + workers, … into its own ∂W partial
/// sum, so the gradients are the same bit for bit from run to run. Chunks run with single-threaded GEMMs, each core
/// reusing its scratch buffers.
/// </summary>
internal class Im2ColConv
{
    public static readonly Im2ColConv Instance = new();

    /// <summary>About this many floats in one chunk's largest matrix (col or the gathered activations), 1 MB by default (larger chunks measured slower).</summary>
    static readonly long ChunkFloats = NablaSettings.Current.ConvChunkFloats;

    protected static int Workers(int n, double flops) => ImageBatch.Workers(n, flops);

    /// <summary>Images per chunk: at most <see cref="ChunkFloats"/> per matrix, and at least two chunks per slot so
    /// that a core slowed by other processes takes fewer of them (chunks are handed out dynamically).</summary>
    protected static int Chunk(int images, int workers, long floatsPerImage)
    {
        int byMemory = (int)Math.Clamp(ChunkFloats / Math.Max(1, floatsPerImage), 1, Math.Max(1, images));
        return workers > 1 ? Math.Clamp(images / (2 * workers), 1, byMemory) : byMemory;
    }

    /// <summary>The first image of the next unclaimed chunk (≥ the batch size when none is left).</summary>
    protected static int NextChunk(int[] next, int chunk) => (Interlocked.Increment(ref next[0]) - 1) * chunk;

    /// <summary>dst[b, r, :L] = src[r, b·L : (b+1)·L] (+ bias[r]) for b &lt; B: a [R, B·L] matrix scattered into B images [R, L].</summary>
    static void Scatter(ReadOnlySpan<float> src, Span<float> dst, int R, int B, int L, float[]? bias)
    {
        int ld = B * L;
        for (int b = 0; b < B; b++)
            for (int r = 0; r < R; r++)
            {
                var s = src.Slice(r * ld + b * L, L);
                var d = dst.Slice((b * R + r) * L, L);
                if (bias != null) TensorPrimitives.Add(s, bias[r], d); else s.CopyTo(d);
            }
    }

    /// <summary>dst[r, b·L : (b+1)·L] = src[b, r, :L]: B images [R, L] gathered into one [R, B·L] matrix.</summary>
    static void Gather(ReadOnlySpan<float> src, Span<float> dst, int R, int B, int L)
    {
        int ld = B * L;
        for (int b = 0; b < B; b++)
            for (int r = 0; r < R; r++)
                src.Slice((b * R + r) * L, L).CopyTo(dst.Slice(r * ld + b * L, L));
    }

    /// <summary>y [N, Cout, L] = W·col (+ b) chunk by chunk, chunks claimed dynamically by the workers.</summary>
    protected virtual void Forward(ConvGeometry g, float[] xd, float[] wd, int Cout, float[]? bd, float[] y, int N, int workers, int chunk, bool direct)
    {
        int K = g.Rows, L = g.Cols, HW = g.H * g.W, Cin = g.C;
        var next = new int[1];
        ImageBatch.For(workers, workers, (_, _, _) =>
        {
            int B = chunk;
            float[] col = ImageBatch.Rent(K * B * L), tmp = ImageBatch.Rent(B > 1 ? Cout * B * L : 1);
            try
            {
                for (int nb; (nb = NextChunk(next, B)) < N;)
                {
                    int b = Math.Min(B, N - nb), ld = b * L;
                    if (!direct) for (int i = 0; i < b; i++) Im2Col.Unfold(g, xd.AsSpan((nb + i) * Cin * HW, Cin * HW), col.AsSpan(i * L), ld);
                    if (b == 1)
                    {
                        // one image: its output block is already the GEMM's C
                        var yn = y.AsSpan(nb * Cout * L, Cout * L);
                        if (bd != null) for (int o = 0; o < Cout; o++) yn.Slice(o * L, L).Fill(bd[o]);
                        ReadOnlySpan<float> cmat = direct ? xd.AsSpan(nb * Cin * HW, Cin * HW) : col;
                        Gemm.SgemmSerial(false, false, Cout, L, K, wd, K, cmat, L, yn, L, beta: bd != null ? 1f : 0f);
                    }
                    else
                    {
                        Gemm.SgemmSerial(false, false, Cout, ld, K, wd, K, col, ld, tmp, ld);
                        Scatter(tmp, y.AsSpan(nb * Cout * L, b * Cout * L), Cout, b, L, bd);
                    }
                }
            }
            finally { ImageBatch.Return(col); ImageBatch.Return(tmp); }
        });

    }

    /// <summary>Computes ∂x into <paramref name="gx"/> by a method of the strategy's own; false: use the chunked col2im loop.</summary>
    protected virtual bool GradInput(in ConvGeometry g, float[] gy, float[] wd, int cout, int cin, int n, int workers, float[] gx) => false;

    /// <summary>From this many output channels ∂W is computed as ∂Wᵀ = col·∂yᵀ (see the backward pass).</summary>
    const int GradWeightTransposedFrom = 16;

    /// <summary>Conv2d with groups = 1: per chunk y = W·col, ∂W += ∂y·colᵀ, ∂x = col2im(Wᵀ·∂y).</summary>
    public Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, in ConvGeometry geo)
    {
        var g = geo;
        int N = x.shape[0], Cin = x.shape[1], Cout = weight.shape[0];
        int K = g.Rows, L = g.Cols, HW = g.H * g.W;
        var y = TensorScope.Uninit(N * Cout * L);  // every image block is written (GEMM with β = 0, bias fill + β = 1, or Scatter)
        var xd = x.data; var wd = weight.data; var bd = bias?.data;
        int workers = Workers(N, 2.0 * N * Cout * K * L);
        // a 1×1 kernel with stride 1 and no padding multiplies the image itself (col = x), one image per chunk
        bool direct = g.IsPointwise;
        int chunk = direct ? 1 : Chunk(N, workers, (long)Math.Max(K, Cout) * L);

        Forward(g, xd, wd, Cout, bd, y, N, workers, chunk, direct);

        var result = new Tensor(y, N, Cout, g.OH, g.OW);
        var inputs = bias != null ? new[] { x, weight, bias } : new[] { x, weight };
        return result.Record("Conv2d", inputs, gy =>
        {
            var grads = new ConvGrads(x, weight, bias, workers);
            if (grads.NeedX && !direct && GradInput(g, gy, wd, Cout, Cin, N, workers, grads.Gx!)) grads.NeedX = false;
            bool needX = grads.NeedX, needW = grads.NeedW;
            float[]? gx = grads.Gx;
            if (needX || needW)
            {
                ImageBatch.For(workers, workers, (_, _, w) =>
                {
                    int B = chunk;
                    float[]? col = needW ? ImageBatch.Rent(K * B * L) : null;
                    float[]? dcol = needX ? ImageBatch.Rent(K * B * L) : null;
                    float[]? gm = B > 1 ? ImageBatch.Rent(Cout * B * L) : null;
                    float[]? acc = null;
                    if (needW) acc = grads.GwFor(w);
                    // ∂Wᵀ = col·∂yᵀ packs the large column matrix as A (rows in step) and only the small ∂y transposed: 1.1–1.7×
                    // faster than ∂W = ∂y·colᵀ at the DDPM/cnn shapes; the slot's ∂Wᵀ is added transposed into ∂W at the end
                    float[]? accT = needW && Cout >= GradWeightTransposedFrom ? ImageBatch.Rent(K * Cout) : null;
                    if (accT != null) Array.Clear(accT, 0, K * Cout);
                    try
                    {
                        for (int nb = w * B; nb < N; nb += workers * B)  // fixed chunks per slot: ∂W sums in the same order every run
                        {
                            int b = Math.Min(B, N - nb), ld = b * L;
                            ReadOnlySpan<float> gmat = gy.AsSpan(nb * Cout * L, b * Cout * L);
                            if (b > 1) { Gather(gmat, gm, Cout, b, L); gmat = gm.AsSpan(0, Cout * ld); }
                            if (needW)
                            {
                                ReadOnlySpan<float> cmat = direct ? xd.AsSpan(nb * Cin * HW, Cin * HW) : col;
                                if (!direct) for (int i = 0; i < b; i++) Im2Col.Unfold(g, xd.AsSpan((nb + i) * Cin * HW, Cin * HW), col.AsSpan(i * L), ld);
                                if (accT != null) Gemm.SgemmSerial(false, true, K, Cout, ld, cmat, ld, gmat, ld, accT, Cout, beta: 1f);
                                else Gemm.SgemmSerial(false, true, Cout, K, ld, gmat, ld, cmat, ld, acc, K, beta: 1f);
                            }
                            if (needX)
                            {
                                if (direct) Gemm.SgemmSerial(true, false, K, L, Cout, wd, K, gmat, L, gx.AsSpan(nb * Cin * HW, Cin * HW), L);
                                else
                                {
                                    Gemm.SgemmSerial(true, false, K, ld, Cout, wd, K, gmat, ld, dcol, ld);
                                    for (int i = 0; i < b; i++) Im2Col.Fold(g, dcol.AsSpan(i * L), gx.AsSpan((nb + i) * Cin * HW, Cin * HW), ld);
                                }
                            }
                        }
                        if (accT != null)
                            for (int o = 0; o < Cout; o++)
                                for (int r = 0; r < K; r++) acc![o * K + r] += accT[r * Cout + o];
                    }
                    finally { ImageBatch.Return(col); ImageBatch.Return(dcol); ImageBatch.Return(gm); ImageBatch.Return(accT); }
                });
            }
            grads.Finish(gy, N, Cout, L);
        });
    }

    /// <summary>Whether <see cref="TransposedForward"/> computes a transposed convolution of this (adjoint) geometry, writing every output.</summary>
    protected virtual bool WritesTransposedWhole(in ConvGeometry g) => false;

    /// <summary>A transposed convolution's forward pass y [N, g.C, H, W] from x [N, cin, OH, OW] by a method of the strategy's own.</summary>
    protected virtual void TransposedForward(in ConvGeometry g, float[] x, float[] w, float[]? bias, float[] y, int n, int cin, int workers)
        => throw new NotSupportedException("Im2ColConv: transposed convolutions are folded");

    /// <summary>ConvTranspose2d with groups = 1: col [Cout·kh·kw, B·HWin] = Wᵀ·X, folded per image into y.</summary>
    public Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, in ConvGeometry geo)
    {
        var g = geo;
        int N = x.shape[0], Cin = x.shape[1], Cout = weight.shape[1];
        int K = g.Rows, HWin = g.Cols, OHW = g.H * g.W;
        bool whole = WritesTransposedWhole(g);
        var y = whole ? TensorScope.Uninit(N * Cout * OHW) : TensorScope.Zeroed(N * Cout * OHW);
        var xd = x.data; var wd = weight.data; var bd = bias?.data;
        int workers = Workers(N, 2.0 * N * Cin * K * HWin);
        int chunk = Chunk(N, workers, (long)Math.Max(K, Cin) * HWin);

        var next = new int[1];
        if (whole) TransposedForward(g, xd, wd, bd, y, N, Cin, workers);
        else ImageBatch.For(workers, workers, (_, _, _) =>
        {
            int B = chunk;
            float[] col = ImageBatch.Rent(K * B * HWin), xm = ImageBatch.Rent(Cin * B * HWin);
            try
            {
                for (int nb; (nb = NextChunk(next, B)) < N;)
                {
                    int b = Math.Min(B, N - nb), ld = b * HWin;
                    ReadOnlySpan<float> xmat = xd.AsSpan(nb * Cin * HWin, b * Cin * HWin);
                    if (b > 1) { Gather(xmat, xm, Cin, b, HWin); xmat = xm.AsSpan(0, Cin * ld); }
                    Gemm.SgemmSerial(true, false, K, ld, Cin, wd, K, xmat, ld, col, ld);
                    for (int i = 0; i < b; i++)
                    {
                        var yn = y.AsSpan((nb + i) * Cout * OHW, Cout * OHW);
                        if (bd != null) for (int o = 0; o < Cout; o++) yn.Slice(o * OHW, OHW).Fill(bd[o]);
                        Im2Col.Fold(g, col.AsSpan(i * HWin), yn, ld);
                    }
                }
            }
            finally { ImageBatch.Return(col); ImageBatch.Return(xm); }
        });

        var result = new Tensor(y, N, Cout, g.H, g.W);
        var inputs = bias != null ? new[] { x, weight, bias } : new[] { x, weight };
        return result.Record("ConvTranspose2d", inputs, gy =>
        {
            var grads = new ConvGrads(x, weight, bias, workers);
            bool needX = grads.NeedX, needW = grads.NeedW;
            float[]? gx = grads.Gx;
            if (needX || needW)
            {
                ImageBatch.For(workers, workers, (_, _, w) =>
                {
                    int B = chunk;
                    float[] col = ImageBatch.Rent(K * B * HWin), xm = ImageBatch.Rent(Cin * B * HWin);
                    float[]? acc = null;
                    if (needW) acc = grads.GwFor(w);
                    // ∂Wᵀ = col·∂yᵀ packs the large column matrix as A (rows in step) and only the small ∂y transposed: 1.1–1.7×
                    // faster than ∂W = ∂y·colᵀ at the DDPM/cnn shapes; the slot's ∂Wᵀ is added transposed into ∂W at the end
                    float[]? accT = needW && Cout >= GradWeightTransposedFrom ? ImageBatch.Rent(K * Cout) : null;
                    if (accT != null) Array.Clear(accT, 0, K * Cout);
                    try
                    {
                        for (int nb = w * B; nb < N; nb += workers * B)  // fixed chunks per slot: ∂W sums in the same order every run
                        {
                            int b = Math.Min(B, N - nb), ld = b * HWin;
                            for (int i = 0; i < b; i++) Im2Col.Unfold(g, gy.AsSpan((nb + i) * Cout * OHW, Cout * OHW), col.AsSpan(i * HWin), ld);
                            if (needX)
                            {
                                if (b == 1) Gemm.SgemmSerial(false, false, Cin, ld, K, wd, K, col, ld, gx.AsSpan(nb * Cin * HWin, Cin * HWin), ld);
                                else
                                {
                                    Gemm.SgemmSerial(false, false, Cin, ld, K, wd, K, col, ld, xm, ld);
                                    Scatter(xm, gx.AsSpan(nb * Cin * HWin, b * Cin * HWin), Cin, b, HWin, null);
                                }
                            }
                            if (needW)
                            {
                                ReadOnlySpan<float> xmat = xd.AsSpan(nb * Cin * HWin, b * Cin * HWin);
                                if (b > 1) { Gather(xmat, xm, Cin, b, HWin); xmat = xm.AsSpan(0, Cin * ld); }
                                Gemm.SgemmSerial(false, true, Cin, K, ld, xmat, ld, col, ld, acc, K, beta: 1f);
                            }
                        }
                    }
                    finally { ImageBatch.Return(col); ImageBatch.Return(xm); }
                });
            }
            grads.Finish(gy, N, Cout, OHW);
        });
    }
}
