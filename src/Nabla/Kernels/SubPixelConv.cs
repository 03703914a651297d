namespace Nabla.Kernels;

/// <summary>
/// The adjoint of a convolution (a transposed convolution's forward pass, and a strided convolution's ∂x) as s_h·s_w
/// stride-1 "sub-pixel" convolutions, each an implicit GEMM (<see cref="Gemm.SgemmRowTable"/>), so no column matrix
/// is written and nothing is folded. For the convolution y[i] = Σ_u x[i·s − p + u]·W[u] of geometry g, its adjoint
/// out[Y] = Σ_{i,u: Y = i·s − p + u} z[i]·W[u]. For an output row Y with residue r = (Y + p) mod s the taps are
/// u = r + t·s (t &lt; T_r = ⌈(k − r)/s⌉) and i = q − t with q = (Y + p − r)/s, so the outputs of one residue form a
/// stride-1 correlation of z with the flipped sub-kernel W[r + (T_r − 1 − t′)·s]: one GEMM with m = the adjoint's
/// output channels, k = z-channels·T_h·T_w, whose B rows are read in place from a zero-padded window of z.
/// Outputs are scattered back to every s-th row and column. Dilation 1 only.
/// </summary>
public sealed unsafe class SubPixelConv
{
    readonly ConvGeometry g;
    readonly int cz;
    readonly Phase[] phases;

    /// <summary>One residue class (rh, rw): its taps, its output rows/columns q0 + m (m &lt; nq) and its packed sub-kernel.</summary>
    sealed record Phase(int Rh, int Rw, int Th, int Tw, int Q0h, int Nqh, int Q0w, int Nqw, RowTablePackedA? W, int[]? Off)
    {
        public int WinH => Nqh + Th - 1;
        public int WinW => Nqw + Tw - 1;
        public int Columns => (Nqh - 1) * WinW + Nqw;
        /// <summary>Row stride of the phase's product grid (whole micro-tiles).</summary>
        public int Ldg => Gemm.RowTableGridColumns(Columns);
    }

    /// <summary>Whether the adjoint of a convolution of this geometry can be computed so: dilation 1 and a GEMM kernel with a row-table product.</summary>
    public static bool Supports(in ConvGeometry g) => Gemm.RowTableSupported && g.DH == 1 && g.DW == 1 && g.OH > 0 && g.OW > 0 && g.H > 0 && g.W > 0;

    /// <summary>
    /// Plans the adjoint of the convolution <paramref name="geometry"/> (input C×H×W, output OH×OW) with weights
    /// w [<paramref name="zChannels"/>, C, KH, KW] (the convolution's [Cout, Cin, KH, KW], which is also a transposed
    /// convolution's [Cin, Cout, KH, KW]); the weights are packed once here for any number of <see cref="Apply"/> calls.
    /// </summary>
    public SubPixelConv(in ConvGeometry geometry, ReadOnlySpan<float> w, int zChannels)
    {
        g = geometry; cz = zChannels;
        if (!Supports(g)) throw new ArgumentException($"SubPixelConv: geometry {g} needs dilation 1 and a row-table GEMM kernel");
        if (w.Length < (long)cz * g.C * g.KH * g.KW) throw new ArgumentException($"SubPixelConv: {w.Length} weights, {cz}×{g.C}×{g.KH}×{g.KW} needed");
        phases = new Phase[g.SH * g.SW];
        for (int rh = 0; rh < g.SH; rh++)
            for (int rw = 0; rw < g.SW; rw++)
            {
                var (th, q0h, nqh) = Axis(rh, g.KH, g.SH, g.PH, g.H);
                var (tw, q0w, nqw) = Axis(rw, g.KW, g.SW, g.PW, g.W);
                RowTablePackedA? packed = null; int[]? off = null;
                if (th > 0 && tw > 0 && nqh > 0 && nqw > 0)
                {
                    int k = cz * th * tw, taps = g.KH * g.KW;
                    var a = new float[g.C * k];   // A[o, (c, t′h, t′w)] = W[c, o, rh + (Th−1−t′h)s, rw + (Tw−1−t′w)s]
                    for (int o = 0; o < g.C; o++)
                        for (int c = 0; c < cz; c++)
                            for (int i = 0; i < th; i++)
                                for (int j = 0; j < tw; j++)
                                    a[o * k + (c * th + i) * tw + j] = w[(c * g.C + o) * taps + (rh + (th - 1 - i) * g.SH) * g.KW + rw + (tw - 1 - j) * g.SW];
                    packed = Gemm.PackRowTableA(g.C, k, a, k);
                    int winH = nqh + th - 1, winW = nqw + tw - 1;
                    off = new int[k];
                    for (int c = 0, r = 0; c < cz; c++)
                        for (int i = 0; i < th; i++)
                            for (int j = 0; j < tw; j++) off[r++] = (c * winH + i) * winW + j;
                }
                phases[rh * g.SW + rw] = new Phase(rh, rw, th, tw, q0h, nqh, q0w, nqw, packed, off);
            }
    }

    /// <summary>Taps T, first q and count of q of residue r on one axis (kernel k, stride s, padding p, adjoint output length n).</summary>
    static (int t, int q0, int nq) Axis(int r, int k, int s, int p, int n)
    {
        int t = r < k ? (k - r + s - 1) / s : 0;
        int q0 = p - r <= 0 ? 0 : (p - r + s - 1) / s;
        int q1 = (n - 1 + p - r) >= 0 ? (n - 1 + p - r) / s : -1;
        return (t, q0, q1 - q0 + 1);
    }

    /// <summary>Floats of scratch <see cref="Apply"/> needs for the padded window (the largest phase's, plus a micro-panel of slack).</summary>
    public int PaddedLength => phases.Max(ph => ph.W == null ? 0 : cz * ph.WinH * ph.WinW) + 32;

    /// <summary>Floats of scratch <see cref="Apply"/> needs for the product grid.</summary>
    public int GridLength => Math.Max(1, phases.Max(ph => ph.W == null ? 0 : Gemm.RowTableGridRows(g.C) * ph.Ldg));

    /// <summary>
    /// out [C, H, W] = the adjoint applied to z [zChannels, OH, OW] (+ bias[c] when given), every element written.
    /// <paramref name="padded"/> and <paramref name="grid"/> are scratch of <see cref="PaddedLength"/> and <see cref="GridLength"/>.
    /// </summary>
    public void Apply(ReadOnlySpan<float> z, Span<float> output, ReadOnlySpan<float> bias, Span<float> padded, Span<float> grid)
    {
        if (z.Length < cz * g.OH * g.OW || output.Length < g.C * g.H * g.W || padded.Length < PaddedLength || grid.Length < GridLength)
            throw new ArgumentException("SubPixelConv.Apply: a buffer is shorter than the geometry needs");
        foreach (var ph in phases)
        {
            if (ph.Nqh <= 0 || ph.Nqw <= 0) continue;
            if (ph.W != null)
            {
                Window(ph, z, padded);
                fixed (float* pp = padded, pg = grid)
                fixed (int* po = ph.Off)
                    Gemm.SgemmRowTable(ph.Columns, ph.W, pp, po, pg, ph.Ldg, wholeTiles: true);
            }
            Scatter(ph, ph.W != null ? grid : default, output, bias);
        }
    }

    /// <summary>
    /// out[o, (q0h + m)·s_h + rh − p_h, (q0w + j)·s_w + rw − p_w] = grid[o, m·WinW + j] + bias[o] for a phase's outputs;
    /// a phase without taps (empty grid) writes the bias alone.
    /// </summary>
    void Scatter(Phase ph, ReadOnlySpan<float> grid, Span<float> output, ReadOnlySpan<float> bias)
    {
        int x0 = ph.Q0w * g.SW + ph.Rw - g.PW, sw = g.SW, nq = ph.Nqw;
        // bounds: the last column written, x0 + (Nqw − 1)·SW, is < W by Axis (q < Nqw ⇔ (q0 + q)·s + r − p ≤ W − 1)
        if (output.Length < g.C * g.H * g.W || (!grid.IsEmpty && grid.Length < g.C * ph.Ldg))
            throw new ArgumentException("SubPixelConv.Scatter: a buffer is shorter than the geometry needs");
        fixed (float* po = output, pg = grid)
            for (int o = 0; o < g.C; o++)
            {
                float b = bias.IsEmpty ? 0f : bias[o];
                for (int m = 0; m < ph.Nqh; m++)
                {
                    float* dst = po + (o * g.H + (ph.Q0h + m) * g.SH + ph.Rh - g.PH) * g.W + x0;
                    if (pg == null) { for (int j = 0; j < nq; j++) dst[j * sw] = b; continue; }
                    float* src = pg + o * ph.Ldg + m * ph.WinW;
                    for (int j = 0; j < nq; j++) dst[j * sw] = src[j] + b;
                }
            }
    }

    /// <summary>The zero-padded window of z a phase reads: padded[c, ρ, κ] = z[c, ρ + q0h − (Th − 1), κ + q0w − (Tw − 1)] or 0.</summary>
    void Window(Phase ph, ReadOnlySpan<float> z, Span<float> padded)
    {
        int winH = ph.WinH, winW = ph.WinW, dh = ph.Q0h - (ph.Th - 1), dw = ph.Q0w - (ph.Tw - 1);
        int k0 = Math.Max(0, -dw), k1 = Math.Min(winW, g.OW - dw);   // padded columns that hold z
        for (int c = 0; c < cz; c++)
            for (int rho = 0; rho < winH; rho++)
            {
                var row = padded.Slice((c * winH + rho) * winW, winW);
                int zr = rho + dh;
                if (zr < 0 || zr >= g.OH || k1 <= k0) { row.Clear(); continue; }
                row.Slice(0, k0).Clear();
                z.Slice((c * g.OH + zr) * g.OW + k0 + dw, k1 - k0).CopyTo(row.Slice(k0));
                row.Slice(k1).Clear();
            }
        padded.Slice(cz * winH * winW, 32).Clear();
    }
}
