using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>
/// The implicit-GEMM strategy for stride-1 ungrouped convolutions (<see cref="ImplicitConv"/>): the forward pass
/// multiplies the weights by the zero-padded image read through a row table, image by image, so no im2col matrix is
/// written; ∂x is the same kind of convolution of ∂y with the flipped, transposed kernel; ∂W keeps the im2col chunks
/// of <see cref="Im2ColConv"/>.
/// </summary>
internal sealed class ImplicitGemmConv : Im2ColConv
{
    public static new readonly ImplicitGemmConv Instance = new();

    /// <summary>Stride 1, not a plain 1×1 product, and a GEMM kernel that reads B through a row table.</summary>
    public static bool Applies(in ConvGeometry g) => !g.IsPointwise && ImplicitConv.Supports(g);

    protected override void Forward(ConvGeometry g, float[] xd, float[] wd, int Cout, float[]? bd, float[] y, int N, int workers, int chunk, bool direct)
        => ImplicitBatch(g, xd, wd, Cout, bd, y, N, workers);

    /// <summary>
    /// ∂x of a stride-1 convolution as another stride-1 convolution, through <see cref="ImplicitConv"/>: ∂x = ∂y ⊛ W′
    /// with W′[c, o, ki, kj] = W[o, c, KH−1−ki, KW−1−kj] and padding DH·(KH−1) − PH (DW·(KW−1) − PW), which gives back
    /// H×W. Returns false (nothing done) when that does not apply (padding beyond the kernel's reach).
    /// </summary>
    protected override bool GradInput(in ConvGeometry g, float[] gy, float[] w, int cout, int cin, int n, int workers, float[] gx)
    {
        int ph = g.DH * (g.KH - 1) - g.PH, pw = g.DW * (g.KW - 1) - g.PW;
        if (g.SH != 1 || g.SW != 1 || ph < 0 || pw < 0) return false;
        var gt = new ConvGeometry(cout, g.OH, g.OW, g.KH, g.KW, 1, 1, ph, pw, g.DH, g.DW, g.H, g.W);
        if (!ImplicitConv.Supports(gt)) return false;
        int taps = g.KH * g.KW, kt = cout * taps;
        var wt = ImageBatch.Rent(cin * kt);   // W′ as [cin, cout·KH·KW]
        try
        {
            for (int o = 0; o < cout; o++)
                for (int c = 0; c < cin; c++)
                    for (int t = 0; t < taps; t++)
                        wt[c * kt + o * taps + (taps - 1 - t)] = w[(o * cin + c) * taps + t];
            ImplicitBatch(gt, gy, wt, cin, null, gx, n, workers);
        }
        finally { ImageBatch.Return(wt); }
        return true;
    }

    /// <summary>output[i] = w ⊛ input[i] (+ bias) for the n images of a batch, one <see cref="ImplicitConv"/> per image,
    /// images claimed dynamically by the workers (each writes its own output block).</summary>
    static void ImplicitBatch(ConvGeometry g, float[] input, float[] w, int cout, float[]? bias, float[] output, int n, int workers)
    {
        var offs = ImplicitConv.Offsets(g);
        var packedW = ImplicitConv.PackWeights(g, w, cout);  // once for all images
        int padLen = ImplicitConv.PaddedLength(g), gridLen = cout * ImplicitConv.GridColumns(g);
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
