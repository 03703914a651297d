using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// The sliding-window geometry of a 2-D convolution over one image: C channels of H×W, a KH×KW kernel with
/// stride (SH, SW), zero padding (PH, PW) and dilation (DH, DW), giving OH×OW output positions. Output position
/// (oh, ow) and kernel tap (ki, kj) read input pixel (oh·SH − PH + ki·DH, ow·SW − PW + kj·DW).
/// </summary>
public readonly record struct ConvGeometry(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int OH, int OW)
{
    /// <summary>Rows of the column matrix: C·KH·KW.</summary>
    public int Rows => C * KH * KW;
    /// <summary>Columns of the column matrix: OH·OW.</summary>
    public int Cols => OH * OW;
    /// <summary>A 1×1 kernel with stride 1 and no padding: the column matrix is the image itself, so im2col/col2im can be skipped.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;

    /// <summary>Output extent along one axis: ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 (may be ≤ 0 when the kernel does not fit).</summary>
    public static int OutSize(int n, int k, int s, int p, int d) => (int)Math.Floor((n + 2.0 * p - d * (k - 1.0) - 1) / s) + 1;
}

/// <summary>
/// im2col / col2im: unfold the receptive fields of one image into a column matrix col[C·KH·KW, OH·OW]
/// (row (c, ki, kj), column (oh, ow)), so that a convolution becomes the product W[Cout, C·KH·KW] · col,
/// and fold such a matrix back, summing the entries that land on the same pixel (the adjoint of im2col).
/// Rows are filled as contiguous block copies when the stride along W is 1; padding becomes zeros.
/// </summary>
public static class Im2Col
{
    static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    /// <summary>The range [lo, hi) of output columns ow whose input column ow·SW − PW + kj·DW lies inside [0, W).</summary>
    static (int lo, int hi) ValidRange(int kOff, int pad, int stride, int n, int outN)
    {
        // i = o·s − pad + kOff ∈ [0, n)  ⇔  o ≥ ⌈(pad − kOff)/s⌉ and o ≤ ⌊(n − 1 + pad − kOff)/s⌋
        int lo = Math.Max(0, CeilDiv(pad - kOff, stride));
        int top = n - 1 + pad - kOff;
        int hi = top < 0 ? 0 : Math.Min(outN, top / stride + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>col[(c·KH + ki)·KW + kj, oh·OW + ow] = x[c, oh·SH − PH + ki·DH, ow·SW − PW + kj·DW] (0 outside the image).</summary>
    public static void Unfold(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> col) => Unfold(g, x, col, g.Cols);

    /// <summary>As <see cref="Unfold(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>, with col rows <paramref name="ld"/> ≥ OH·OW apart
    /// (so that several images can fill side-by-side column blocks of one matrix).</summary>
    public static void Unfold(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> col, int ld)
    {
        if (IsRowAligned(g)) { UnfoldAligned(g, x, col, ld); return; }
        int L = g.Cols, HW = g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * HW, HW);
            for (int ki = 0; ki < g.KH; ki++)
            {
                for (int kj = 0; kj < g.KW; kj++)
                {
                    var dst = col.Slice(((c * g.KH + ki) * g.KW + kj) * ld, L);
                    int kOffW = kj * g.DW;
                    var (lo, hi) = ValidRange(kOffW, g.PW, g.SW, g.W, g.OW);
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        var d = dst.Slice(oh * g.OW, g.OW);
                        int ih = oh * g.SH - g.PH + ki * g.DH;
                        if ((uint)ih >= (uint)g.H || lo >= hi) { d.Clear(); continue; }
                        for (int ow = 0; ow < lo; ow++) d[ow] = 0f;
                        for (int ow = hi; ow < g.OW; ow++) d[ow] = 0f;
                        int iw0 = lo * g.SW - g.PW + kOffW;
                        var src = xc.Slice(ih * g.W);
                        if (g.SW == 1) CopyShort(d.Slice(lo, hi - lo), src.Slice(iw0, hi - lo));
                        else if (g.SW == 2) CopyStride2(d.Slice(lo, hi - lo), src.Slice(iw0));
                        else for (int ow = lo, iw = iw0; ow < hi; ow++, iw += g.SW) d[ow] = src[iw];
                    }
                }
            }
        }
    }

    /// <summary>d = s for short rows (an image row): an inline Vector256 loop.</summary>
    static void CopyShort(Span<float> d, ReadOnlySpan<float> s)
    {
        int n = d.Length, i = 0;
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref float sr = ref MemoryMarshal.GetReference(s);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) Vector256.LoadUnsafe(ref sr, (nuint)i).StoreUnsafe(ref dr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dr, i) = Unsafe.Add(ref sr, i);
    }

    /// <summary>d[i] = s[2i] for i &lt; d.Length (s holds at least 2·d.Length − 1 values): even lanes picked from two
    /// loads while 16 values can be read, then scalar.</summary>
    static void CopyStride2(Span<float> d, ReadOnlySpan<float> s)
    {
        int n = d.Length, i = 0;
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref float sr = ref MemoryMarshal.GetReference(s);
        if (Avx2.IsSupported)
            for (; i + 8 <= n && 2 * i + 16 <= s.Length; i += 8)
            {
                var a = Vector256.LoadUnsafe(ref sr, (nuint)(2 * i));
                var b = Vector256.LoadUnsafe(ref sr, (nuint)(2 * i + 8));
                // [a0 a2 b0 b2 | a4 a6 b4 b6] → [a0 a2 a4 a6 b0 b2 b4 b6]
                var e = Avx.Shuffle(a, b, 0x88);
                Avx2.Permute4x64(e.AsDouble(), 0xD8).AsSingle().StoreUnsafe(ref dr, (nuint)i);
            }
        for (; i < n; i++) Unsafe.Add(ref dr, i) = Unsafe.Add(ref sr, 2 * i);
    }

    /// <summary>d[2i] += s[i] for i &lt; s.Length (d holds at least 2·s.Length − 1 values): s interleaved with zeros and
    /// added 16 values at a time while they fit in d (adding 0 leaves the odd entries as they are), then scalar.</summary>
    static void AddStride2(Span<float> d, ReadOnlySpan<float> s)
    {
        int n = s.Length, i = 0;
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref float sr = ref MemoryMarshal.GetReference(s);
        if (Avx.IsSupported)
            for (; i + 8 <= n && 2 * i + 16 <= d.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref sr, (nuint)i);
                var lo = Avx.UnpackLow(v, Vector256<float>.Zero);   // [s0 0 s1 0 | s4 0 s5 0]
                var hi = Avx.UnpackHigh(v, Vector256<float>.Zero);  // [s2 0 s3 0 | s6 0 s7 0]
                ref float d0 = ref Unsafe.Add(ref dr, 2 * i);
                (Vector256.LoadUnsafe(ref d0) + Avx.Permute2x128(lo, hi, 0x20)).StoreUnsafe(ref d0);
                (Vector256.LoadUnsafe(ref d0, 8) + Avx.Permute2x128(lo, hi, 0x31)).StoreUnsafe(ref d0, 8);
            }
        for (; i < n; i++) Unsafe.Add(ref dr, 2 * i) += Unsafe.Add(ref sr, i);
    }

    /// <summary>d += s for short rows (an image row): an inline Vector256 loop, without a library call's fixed cost per row.</summary>
    static void AddInto(Span<float> d, ReadOnlySpan<float> s)
    {
        int n = d.Length, i = 0;
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref float sr = ref MemoryMarshal.GetReference(s);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref dr, (nuint)i) + Vector256.LoadUnsafe(ref sr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dr, i) += Unsafe.Add(ref sr, i);
    }

    /// <summary>The adjoint of <see cref="Unfold"/>: x[c, ih, iw] += Σ col entries that read (c, ih, iw). Adds into x.</summary>
    public static void Fold(in ConvGeometry g, ReadOnlySpan<float> col, Span<float> x) => Fold(g, col, x, g.Cols);

    /// <summary>As <see cref="Fold(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>, with col rows <paramref name="ld"/> ≥ OH·OW apart.</summary>
    public static void Fold(in ConvGeometry g, ReadOnlySpan<float> col, Span<float> x, int ld)
    {
        if (IsRowAligned(g)) { FoldAligned(g, col, x, ld); return; }
        int L = g.Cols, HW = g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * HW, HW);
            for (int ki = 0; ki < g.KH; ki++)
            {
                for (int kj = 0; kj < g.KW; kj++)
                {
                    var src = col.Slice(((c * g.KH + ki) * g.KW + kj) * ld, L);
                    int kOffW = kj * g.DW;
                    var (lo, hi) = ValidRange(kOffW, g.PW, g.SW, g.W, g.OW);
                    if (lo >= hi) continue;
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        int ih = oh * g.SH - g.PH + ki * g.DH;
                        if ((uint)ih >= (uint)g.H) continue;
                        var s = src.Slice(oh * g.OW, g.OW);
                        int iw0 = lo * g.SW - g.PW + kOffW;
                        var dst = xc.Slice(ih * g.W);
                        if (g.SW == 1)
                        {
                            AddInto(dst.Slice(iw0, hi - lo), s.Slice(lo, hi - lo));
                        }
                        else if (g.SW == 2) AddStride2(dst.Slice(iw0), s.Slice(lo, hi - lo));
                        else for (int ow = lo, iw = iw0; ow < hi; ow++, iw += g.SW) dst[iw] += s[ow];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Stride 1 and as many output as input columns ("same" width): then col row (c, ki, kj) is the channel image
    /// shifted by a constant δ = (ki·DH − PH)·W + kj·DW − PW, so its valid rows are one block copy, after which only
    /// the entries that wrapped around a row edge (and the rows above or below the image) are set to zero.
    /// </summary>
    static bool IsRowAligned(in ConvGeometry g) => g.SH == 1 && g.SW == 1 && g.OW == g.W;

    static void UnfoldAligned(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> col, int ld)
    {
        int W = g.W, L = g.Cols, HW = g.H * W;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * HW, HW);
            for (int ki = 0; ki < g.KH; ki++)
            {
                int rowOff = ki * g.DH - g.PH;
                // valid output rows: 0 ≤ oh + rowOff < H
                int oh0 = Math.Clamp(-rowOff, 0, g.OH), oh1 = Math.Clamp(g.H - rowOff, oh0, g.OH);
                for (int kj = 0; kj < g.KW; kj++)
                {
                    var dst = col.Slice(((c * g.KH + ki) * g.KW + kj) * ld, L);
                    int shift = kj * g.DW - g.PW;
                    var (lo, hi) = ValidRange(kj * g.DW, g.PW, 1, W, W);
                    dst.Slice(0, oh0 * W).Clear();
                    dst.Slice(oh1 * W).Clear();
                    if (oh0 >= oh1) continue;
                    // dst[i] = xc[i + δ] for i in the valid rows, clipped to the channel's bounds
                    int delta = rowOff * W + shift;
                    int i0 = Math.Max(oh0 * W, -delta), i1 = Math.Min(oh1 * W, HW - delta);
                    if (i1 > i0) xc.Slice(i0 + delta, i1 - i0).CopyTo(dst.Slice(i0, i1 - i0));
                    if (lo == 0 && hi == W) continue;
                    for (int oh = oh0; oh < oh1; oh++)
                    {
                        var d = dst.Slice(oh * W, W);
                        if (lo >= hi) { d.Clear(); continue; }
                        d.Slice(0, lo).Clear();
                        d.Slice(hi).Clear();
                    }
                }
            }
        }
    }

    static void FoldAligned(in ConvGeometry g, ReadOnlySpan<float> col, Span<float> x, int ld)
    {
        int W = g.W, HW = g.H * W;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * HW, HW);
            for (int ki = 0; ki < g.KH; ki++)
            {
                int rowOff = ki * g.DH - g.PH;
                int oh0 = Math.Clamp(-rowOff, 0, g.OH), oh1 = Math.Clamp(g.H - rowOff, oh0, g.OH);
                if (oh0 >= oh1) continue;
                for (int kj = 0; kj < g.KW; kj++)
                {
                    var src = col.Slice(((c * g.KH + ki) * g.KW + kj) * ld, g.Cols);
                    int shift = kj * g.DW - g.PW;
                    var (lo, hi) = ValidRange(kj * g.DW, g.PW, 1, W, W);
                    if (lo >= hi) continue;
                    int delta = rowOff * W + shift;
                    if (lo == 0 && hi == W)
                    {
                        AddInto(xc.Slice(oh0 * W + delta, (oh1 - oh0) * W), src.Slice(oh0 * W, (oh1 - oh0) * W));
                        continue;
                    }
                    // one block add per run of rows would also add the wrapped-around edge entries: go row by row
                    for (int oh = oh0; oh < oh1; oh++)
                        AddInto(xc.Slice(oh * W + delta + lo, hi - lo), src.Slice(oh * W + lo, hi - lo));
                }
            }
        }
    }
}
