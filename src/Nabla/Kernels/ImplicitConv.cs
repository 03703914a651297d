using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// A convolution of one image without an im2col matrix ("implicit GEMM"). The image is copied once into a zero-padded
/// buffer (pad PH, PW), split by stride phase: plane (c, a, b) holds xq[c, a, b, u, v] = xpad[c, u·SH + a, v·SW + b]
/// on a Hq×Wq grid (Hq = ⌈(H + 2·PH)/SH⌉, Wq = ⌈(W + 2·PW)/SW⌉; for stride 1 it is simply the padded image). Output
/// position j = oh·Wq + ow of column-matrix row (c, ki, kj) then reads the buffer at j + off(c, ki, kj), with
/// off = plane(c, ki·DH mod SH, kj·DW mod SW) + ⌊ki·DH/SH⌋·Wq + ⌊kj·DW/SW⌋, since
/// xpad[oh·SH + ki·DH, ow·SW + kj·DW] = xq[c, a, b, oh + ⌊ki·DH/SH⌋, ow + ⌊kj·DW/SW⌋]. So y = W · B with
/// B[p, j] = buffer[off[p] + j], a GEMM whose B rows are read in place (<see cref="Gemm.SgemmRowTable"/>); the OH rows
/// of OW valid columns are then gathered from the Wq-wide grid. The column matrix is never written: a 3×3
/// convolution moves about a ninth of the data im2col moves at stride 1, and about 4/9 of it at stride 2.
/// </summary>
public static unsafe class ImplicitConv
{
    /// <summary>A GEMM kernel with a row-table product (AVX-512 or AVX2) and a non-empty output.</summary>
    public static bool Supports(in ConvGeometry g) => Gemm.RowTableSupported && g.OH > 0 && g.OW > 0;

    static int Hq(in ConvGeometry g) => (g.H + 2 * g.PH + g.SH - 1) / g.SH;
    static int Wq(in ConvGeometry g) => (g.W + 2 * g.PW + g.SW - 1) / g.SW;

    /// <summary>Floats of the padded-image buffer: C·SH·SW·Hq·Wq plus one micro-panel of slack read past the end.</summary>
    public static int PaddedLength(in ConvGeometry g) => g.C * g.SH * g.SW * Hq(g) * Wq(g) + 32;

    /// <summary>Columns of the GEMM on the phase grid: (OH − 1)·Wq + OW.</summary>
    public static int GridColumns(in ConvGeometry g) => (g.OH - 1) * Wq(g) + g.OW;

    /// <summary>Floats of the product grid for <paramref name="cout"/> outputs: whole micro-tiles, so every tile is stored
    /// straight from the registers (rows rounded up to 24, the row stride <see cref="GridColumns"/> up to 32).</summary>
    public static int GridLength(in ConvGeometry g, int cout) => Gemm.RowTableGridRows(cout) * Gemm.RowTableGridColumns(GridColumns(g));

    /// <summary>The row table off[(c·KH + ki)·KW + kj] (length C·KH·KW), as in the class summary.</summary>
    public static int[] Offsets(in ConvGeometry g)
    {
        var off = new int[g.Rows];
        int hq = Hq(g), wq = Wq(g);
        for (int c = 0, r = 0; c < g.C; c++)
            for (int ki = 0; ki < g.KH; ki++)
                for (int kj = 0; kj < g.KW; kj++)
                {
                    int dh = ki * g.DH, dw = kj * g.DW;
                    off[r++] = ((c * g.SH + dh % g.SH) * g.SW + dw % g.SW) * hq * wq + dh / g.SH * wq + dw / g.SW;
                }
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
    /// (≥ <see cref="PaddedLength"/>) and <paramref name="grid"/> (≥ <see cref="GridLength"/>) are scratch;
    /// <paramref name="off"/> comes from <see cref="Offsets"/>.
    /// </summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> x, RowTablePackedA packedW, int cout, ReadOnlySpan<float> bias,
        Span<float> y, Span<float> padded, Span<float> grid, int[] off)
    {
        int wq = Wq(g), n = GridColumns(g), ldg = Gemm.RowTableGridColumns(n), planes = g.C * g.SH * g.SW * Hq(g) * wq;
        if (x.Length < g.C * g.H * g.W || y.Length < cout * g.Cols || padded.Length < PaddedLength(g)
            || grid.Length < GridLength(g, cout) || off.Length < g.Rows || packedW.M != cout || packedW.K != g.Rows)
            throw new ArgumentException("ImplicitConv.Forward: a buffer is shorter than the geometry needs");
        if (g.SH == 1 && g.SW == 1) Pad(g, x, padded);
        else PhaseSplit(g, x, padded);
        padded.Slice(planes, 32).Clear();
        fixed (float* pp = padded, pg = grid)
        fixed (int* po = off)
            Gemm.SgemmRowTable(n, packedW, pp, po, pg, ldg, wholeTiles: true);
        // gather the valid columns (+ bias)
        for (int o = 0; o < cout; o++)
        {
            float b = bias.IsEmpty ? 0f : bias[o];
            for (int oh = 0; oh < g.OH; oh++)
            {
                var src = grid.Slice(o * ldg + oh * wq, g.OW);
                var dst = y.Slice((o * g.OH + oh) * g.OW, g.OW);
                if (b != 0f) System.Numerics.Tensors.TensorPrimitives.Add(src, b, dst);
                else src.CopyTo(dst);
            }
        }
    }

    /// <summary>Stride 1: the padded image (zero borders, image rows copied in).</summary>
    static void Pad(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> padded)
    {
        int hp = g.H + 2 * g.PH, wp = g.W + 2 * g.PW, plane = hp * wp;
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
    }

    /// <summary>A stride above 1: the padded image split into its SH·SW phase planes (zeros where padding falls).</summary>
    static void PhaseSplit(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> padded)
    {
        int hq = Hq(g), wq = Wq(g), plane = hq * wq, sh = g.SH, sw = g.SW;
        padded.Slice(0, g.C * sh * sw * plane).Clear();
        fixed (float* px = x, pp = padded)
            for (int c = 0; c < g.C; c++)
                for (int h = 0; h < g.H; h++)
                {
                    int r = h + g.PH;
                    float* src = px + (c * g.H + h) * g.W;
                    float* rowBase = pp + (c * sh + r % sh) * sw * plane + r / sh * wq;   // phase (a, 0) row u
                    if (sw == 2) { Deinterleave(src, g.W, g.PW, rowBase, rowBase + plane); continue; }
                    for (int b = 0; b < sw; b++)
                    {
                        // pixels w with (w + PW) mod SW = b go to plane (a, b) at v = (w + PW) / SW
                        int w0 = ((b - g.PW) % sw + sw) % sw;
                        float* dst = rowBase + b * plane + (w0 + g.PW) / sw;
                        for (int w = w0; w < g.W; w += sw) *dst++ = src[w];
                    }
                }
    }

    /// <summary>
    /// Column stride 2: pixel w of a row (padded column s = w + pw) goes to <paramref name="even"/>[s/2] when s is even,
    /// else to <paramref name="odd"/>[s/2]; pairs (even s, odd s) are split 8 and 4 at a time by shuffles.
    /// </summary>
    static void Deinterleave(float* src, int width, int pw, float* even, float* odd)
    {
        int w = 0;
        if ((pw & 1) == 1 && width > 0) { odd[pw / 2] = src[0]; w = 1; }
        int v = (w + pw) / 2;   // w + pw is even from here on
        if (Avx2.IsSupported)
            for (; w + 16 <= width; w += 16, v += 8)
            {
                var a = Avx.LoadVector256(src + w);
                var b = Avx.LoadVector256(src + w + 8);
                // per 128-bit lane: a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit pairs reordered to a0 a2 a4 a6 b0 b2 b4 b6
                var e = Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle();
                var o = Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();
                Avx.Store(even + v, e);
                Avx.Store(odd + v, o);
            }
        if (Sse.IsSupported)
            for (; w + 8 <= width; w += 8, v += 4)
            {
                var a = Sse.LoadVector128(src + w);
                var b = Sse.LoadVector128(src + w + 4);
                Sse.Store(even + v, Sse.Shuffle(a, b, 0x88));
                Sse.Store(odd + v, Sse.Shuffle(a, b, 0xDD));
            }
        for (; w + 1 < width; w += 2, v++) { even[v] = src[w]; odd[v] = src[w + 1]; }
        if (w < width) even[v] = src[w];
    }
}
