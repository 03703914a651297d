namespace Nabla.Kernels;

/// <summary>
/// A stride-1 convolution of one image without an im2col matrix ("implicit GEMM"): the image is copied once into a
/// zero-padded buffer xp [C, Hp, Wp] (Hp = H + 2·PH, Wp = W + 2·PW), and on the padded grid, output position
/// j = oh·Wp + ow of column-matrix row (c, ki, kj) reads xp at j + off(c, ki, kj) with off = c·Hp·Wp + ki·DH·Wp + kj·DW.
/// So y = W · B with B[p, j] = xp[off[p] + j], a GEMM whose B rows are read in place (<see cref="Gemm.SgemmRowTable"/>);
/// the OH rows of OW valid columns are then gathered from the Wp-wide grid. The column matrix is never written: a
/// 3×3 convolution moves about a ninth of the data im2col moves.
/// </summary>
public static unsafe class ImplicitConv
{
    /// <summary>Stride 1 and a GEMM kernel with a row-table product (AVX-512 or AVX2).</summary>
    public static bool Supports(in ConvGeometry g) => Gemm.RowTableSupported && g.SH == 1 && g.SW == 1 && g.OH > 0 && g.OW > 0;

    static int Hp(in ConvGeometry g) => g.H + 2 * g.PH;
    static int Wp(in ConvGeometry g) => g.W + 2 * g.PW;

    /// <summary>Floats of the padded-image buffer: C·Hp·Wp plus one micro-panel of slack read past the end.</summary>
    public static int PaddedLength(in ConvGeometry g) => g.C * Hp(g) * Wp(g) + 32;

    /// <summary>Columns of the GEMM on the padded grid: (OH − 1)·Wp + OW.</summary>
    public static int GridColumns(in ConvGeometry g) => (g.OH - 1) * Wp(g) + g.OW;

    /// <summary>The row table off[(c·KH + ki)·KW + kj] = c·Hp·Wp + ki·DH·Wp + kj·DW (length C·KH·KW).</summary>
    public static int[] Offsets(in ConvGeometry g)
    {
        var off = new int[g.Rows];
        int hp = Hp(g), wp = Wp(g);
        for (int c = 0, r = 0; c < g.C; c++)
            for (int ki = 0; ki < g.KH; ki++)
                for (int kj = 0; kj < g.KW; kj++)
                    off[r++] = c * hp * wp + ki * g.DH * wp + kj * g.DW;
        return off;
    }

    /// <summary>The weights w [cout, C·KH·KW] packed once for any number of <see cref="Forward"/> calls.</summary>
    public static RowTablePackedA PackWeights(in ConvGeometry g, ReadOnlySpan<float> w, int cout)
    {
        if (w.Length < cout * g.Rows) throw new ArgumentException($"ImplicitConv.PackWeights: {w.Length} weights, {cout}×{g.Rows} needed");
        return Gemm.PackRowTableA(cout, g.Rows, w, g.Rows);
    }

    /// <summary>
    /// y [cout, OH, OW] = w ⊛ x [C, H, W] (+ bias[o]) with w from <see cref="PackWeights"/>. <paramref name="padded"/>
    /// (≥ <see cref="PaddedLength"/>) and <paramref name="grid"/> (≥ cout·<see cref="GridColumns"/>) are scratch;
    /// <paramref name="off"/> comes from <see cref="Offsets"/>.
    /// </summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> x, RowTablePackedA packedW, int cout, ReadOnlySpan<float> bias,
        Span<float> y, Span<float> padded, Span<float> grid, int[] off)
    {
        int hp = Hp(g), wp = Wp(g), n = GridColumns(g), plane = hp * wp;
        if (x.Length < g.C * g.H * g.W || y.Length < cout * g.Cols || padded.Length < PaddedLength(g)
            || grid.Length < cout * n || off.Length < g.Rows || packedW.M != cout || packedW.K != g.Rows)
            throw new ArgumentException("ImplicitConv.Forward: a buffer is shorter than the geometry needs");
        // the padded image: zero borders, image rows copied in, zero slack
        for (int c = 0; c < g.C; c++)
        {
            var pc = padded.Slice(c * plane, plane);
            pc.Slice(0, g.PH * wp).Clear();
            pc.Slice((g.PH + g.H) * wp).Clear();
            for (int h = 0; h < g.H; h++)
            {
                var row = pc.Slice((g.PH + h) * wp, wp);
                row.Slice(0, g.PW).Clear();
                x.Slice((c * g.H + h) * g.W, g.W).CopyTo(row.Slice(g.PW));
                row.Slice(g.PW + g.W).Clear();
            }
        }
        padded.Slice(g.C * plane, 32).Clear();
        fixed (float* pp = padded, pg = grid)
        fixed (int* po = off)
            Gemm.SgemmRowTable(n, packedW, pp, po, pg, n);
        // gather the valid columns (+ bias)
        for (int o = 0; o < cout; o++)
        {
            float b = bias.IsEmpty ? 0f : bias[o];
            for (int oh = 0; oh < g.OH; oh++)
            {
                var src = grid.Slice(o * n + oh * wp, g.OW);
                var dst = y.Slice((o * g.OH + oh) * g.OW, g.OW);
                if (b != 0f) System.Numerics.Tensors.TensorPrimitives.Add(src, b, dst);
                else src.CopyTo(dst);
            }
        }
    }
}
