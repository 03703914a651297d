using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>
/// The implicit-GEMM strategy (ungrouped, no column matrix written): a convolution's forward pass multiplies the
/// weights by the zero-padded image (split into stride phases when strided) read through a row table
/// (<see cref="ImplicitConv"/>), image by image; a stride-1 convolution's ∂x is the same kind of convolution of ∂y with
/// the flipped, transposed kernel; a strided convolution's ∂x and a transposed convolution's forward pass (the same
/// adjoint) run as stride-1 sub-pixel products (<see cref="SubPixelConv"/>) instead of a col2im fold. ∂W keeps the
/// im2col chunks of <see cref="Im2ColConv"/>.
/// </summary>
internal sealed class ImplicitGemmConv : Im2ColConv
{
    public static new readonly ImplicitGemmConv Instance = new();

    /// <summary>
    /// A GEMM kernel that reads B through a row table, and: for a transposed convolution, dilation 1 (sub-pixel
    /// forward); for a convolution, not a plain 1×1 product (row-table forward; ∂x by row table at stride 1, by
    /// sub-pixel products when strided with dilation 1, else by the col2im fold).
    /// </summary>
    public static bool Applies(in ConvGeometry g, bool transposed) => transposed ? SubPixelConv.Supports(g)
        : !g.IsPointwise && ImplicitConv.Supports(g);

    static bool Strided(in ConvGeometry g) => g.SH != 1 || g.SW != 1;

    protected override void Forward(ConvGeometry g, float[] xd, float[] wd, int Cout, float[]? bd, float[] y, int N, int workers, int chunk, bool direct)
    {
        ImplicitBatch(g, xd, FrozenWeights.Get(wd, g, Kind(2, Cout), () => new ImplicitPlan(ImplicitConv.Offsets(g), ImplicitConv.PackWeights(g, wd, Cout))),
            Cout, bd, y, N, workers);
    }

    protected override bool WritesTransposedWhole(in ConvGeometry g) => SubPixelConv.Supports(g);

    /// <summary>y = the adjoint of the convolution g applied to x (a transposed convolution), by sub-pixel products.</summary>
    protected override void TransposedForward(in ConvGeometry g, float[] x, float[] w, float[]? bias, float[] y, int n, int cin, int workers)
        => SubPixelBatch(g, x, w, cin, bias, y, n, workers);

    /// <summary>
    /// ∂x of a stride-1 convolution as another stride-1 convolution, through <see cref="ImplicitConv"/>: ∂x = ∂y ⊛ W′
    /// with W′[c, o, ki, kj] = W[o, c, KH−1−ki, KW−1−kj] and padding DH·(KH−1) − PH (DW·(KW−1) − PW), which gives back
    /// H×W. Returns false (nothing done) when that does not apply (padding beyond the kernel's reach).
    /// </summary>
    protected override bool GradInput(in ConvGeometry g, float[] gy, float[] w, int cout, int cin, int n, int workers, float[] gx)
    {
        if (Strided(g))
        {
            if (!SubPixelConv.Supports(g)) return false;
            SubPixelBatch(g, gy, w, cout, null, gx, n, workers);   // ∂x = the adjoint applied to ∂y
            return true;
        }
        int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
        if (g.SH != 1 || g.SW != 1 || ph < 0 || pw < 0) return false;
        var gt = new ConvGeometry(cout, g.OH, g.OW, g.KH, g.KW, 1, 1, ph, pw, g.DH, g.DW, g.H, g.W);
        if (!ImplicitConv.Supports(gt)) return false;
        int taps = g.KH * g.KW, kt = cout * taps;
        var plan = FrozenWeights.Get(w, gt, Kind(3, cin), () =>
        {
            var wt = ImageBatch.Rent(cin * kt);   // W′ as [cin, cout·KH·KW]
            try
            {
                for (int o = 0; o < cout; o++)
                    for (int c = 0; c < cin; c++)
                        for (int t = 0; t < taps; t++)
                            wt[c * kt + o * taps + (taps - 1 - t)] = w[(o * cin + c) * taps + t];
                return new ImplicitPlan(ImplicitConv.Offsets(gt), ImplicitConv.PackWeights(gt, wt, cin));
            }
            finally { ImageBatch.Return(wt); }
        });
        ImplicitBatch(gt, gy, plan, cin, null, gx, n, workers);
        return true;
    }

    /// <summary>output[i] = the adjoint of the convolution g (weights w [cz, g.C, KH, KW]) applied to input[i] (+ bias), for
    /// the n images of a batch, images claimed dynamically by the workers; the sub-kernels are packed once for all images (and, in a <see cref="FrozenWeights"/> scope, once for all calls).</summary>
    static void SubPixelBatch(ConvGeometry g, float[] input, float[] w, int cz, float[]? bias, float[] output, int n, int workers)
    {
        var plan = FrozenWeights.Get(w, g, Kind(1, cz), () => new SubPixelConv(g, w, cz));
        int inPer = cz * g.OH * g.OW, outPer = g.C * g.H * g.W;
        var next = new int[1];
        ImageBatch.For(workers, workers, (_, _, _) =>
        {
            float[] pad = ImageBatch.Rent(plan.PaddedLength), grid = ImageBatch.Rent(plan.GridLength);
            try
            {
                for (int i; (i = NextChunk(next, 1)) < n;)
                    plan.Apply(input.AsSpan(i * inPer, inPer), output.AsSpan(i * outPer, outPer), bias, pad, grid);
            }
            finally { ImageBatch.Return(pad); ImageBatch.Return(grid); }
        });
    }

    /// <summary>Row table and packed weights of a stride-1 convolution (<see cref="ImplicitConv"/>).</summary>
    sealed record ImplicitPlan(int[] Off, RowTablePackedA W);

    /// <summary>The kinds of derived weights cached by <see cref="FrozenWeights"/>: sub-pixel plan (1), forward (2), ∂x (3),
    /// with the other channel count (a weight array could in principle serve two roles).</summary>
    static int Kind(int what, int channels) => channels * 4 + what;

    /// <summary>output[i] = w ⊛ input[i] (+ bias) for the n images of a batch, one <see cref="ImplicitConv"/> per image,
    /// images claimed dynamically by the workers (each writes its own output block); the weights are packed once for
    /// all images (and, in a <see cref="FrozenWeights"/> scope, once for all calls).</summary>
    static void ImplicitBatch(ConvGeometry g, float[] input, ImplicitPlan plan, int cout, float[]? bias, float[] output, int n, int workers)
    {
        var offs = plan.Off;
        var packedW = plan.W;
        int padLen = ImplicitConv.PaddedLength(g), gridLen = ImplicitConv.GridLength(g, cout);
        int inPer = g.C * g.H * g.W, outPer = cout * g.OH * g.OW;
        var next = new int[1];
        ImageBatch.For(workers, workers, (_, _, _) =>
        {
            float[] pad = ImageBatch.Rent(padLen), grid = ImageBatch.Rent(gridLen);
            try
            {
                for (int i; (i = NextChunk(next, 1)) < n;)
                    ImplicitConv.Forward(g, input.AsSpan(i * inPer, inPer), packedW, cout, bias, output.AsSpan(i * outPer, outPer), pad, grid, offs);
            }
            finally { ImageBatch.Return(pad); ImageBatch.Return(grid); }
        });
    }
}
