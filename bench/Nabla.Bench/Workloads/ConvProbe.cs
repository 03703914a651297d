using System.Diagnostics;
using Nabla;
using Nabla.NN;

namespace Nabla.Bench;

/// <summary>Hidden probe: median forward / backward ms of single convolutions at DDPM/cnn shapes. Args: [reps] [batch = 64 | parts].</summary>
static class ConvProbe
{
    static void Parts()
    {
        var g = new Nabla.Kernels.ConvGeometry(32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 28, 28);
        var x = new float[32 * 784]; var col = new float[288 * 784]; var w = new float[32 * 288]; var y = new float[32 * 784];
        new Random(1).NextSingle();
        for (int r = 0; r < 5; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 64; i++) Nabla.Kernels.Im2Col.Unfold(g, x, col);
            double u = sw.Elapsed.TotalMilliseconds; sw.Restart();
            for (int i = 0; i < 64; i++) Nabla.Kernels.Gemm.SgemmSerial(false, false, 32, 784, 288, w, 288, col, 784, y, 784);
            double gm = sw.Elapsed.TotalMilliseconds; sw.Restart();
            for (int i = 0; i < 64; i++) Nabla.Kernels.Im2Col.Fold(g, col, x);
            double f = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine($"64 images 32->32@28 serial: unfold {u:F1} ms, gemm {gm:F1} ms ({2.0 * 64 * 32 * 784 * 288 / gm / 1e6:F1} GFLOPS), fold {f:F1} ms");
        }
    }

    /// <summary>∂W = ∂y·colᵀ (B transposed-packed from the large column matrix) against ∂Wᵀ = col·∂yᵀ (A packed from it,
    /// the small ∂y transposed-packed), serial, at the DDPM/cnn shapes (cout, K = cin·9, columns of a chunk).</summary>
    static void GradWeightForms()
    {
        foreach (var (co, k, ld) in new[] { (32, 288, 784 * 4), (64, 576, 196 * 16), (64, 1152, 196 * 8), (32, 864, 784 * 4), (64, 288, 196 * 16), (64, 576, 49 * 32) })
        {
            var gm = new float[co * ld]; var col = new float[k * ld]; var acc = new float[co * k];
            new Generator(2).FillNormal(gm); new Generator(3).FillNormal(col);
            double Time(Action a) { a(); var t = new List<double>(); for (int r = 0; r < 9; r++) { var sw = Stopwatch.StartNew(); a(); t.Add(sw.Elapsed.TotalMilliseconds); } t.Sort(); return t[4]; }
            double d1 = Time(() => Nabla.Kernels.Gemm.SgemmSerial(false, true, co, k, ld, gm, ld, col, ld, acc, k, 1f));
            double d2 = Time(() => Nabla.Kernels.Gemm.SgemmSerial(false, true, k, co, ld, col, ld, gm, ld, acc, co, 1f));
            double gf = 2.0 * co * k * ld / 1e6;
            Console.WriteLine($"cout {co} K {k} cols {ld}: gy·colᵀ {d1:F2} ms ({gf / d1:F0} GFLOPS), col·gyᵀ {d2:F2} ms ({gf / d2:F0} GFLOPS)");
        }
    }

    /// <summary>A 3×3 row-table product (cout 32/64, cin 32/64) with the rows as a convolution reads them (offsets
    /// c·plane + ki·Wp + kj: unaligned) against the same product with every row 64-byte aligned (one copy of the
    /// image per kj shift, rows padded to 16 floats), serial.</summary>
    static unsafe void RowAlignment()
    {
        foreach (var (co, ci, hw) in new[] { (32, 32, 28), (64, 64, 14), (64, 128, 14) })
        {
            int wp = hw + 2, hp = hw + 2, wa = (wp + 15) / 16 * 16, k = ci * 9;
            var w = new float[co * k]; new Generator(4).FillNormal(w);
            var packed = Nabla.Kernels.Gemm.PackRowTableA(co, k, w, k);
            int nU = (hw - 1) * wp + hw, nA = (hw - 1) * wa + hw;
            float* buf = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(3 * ci * hp * wa + 64) * 4, 64);
            float* c = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(co * nA + 64) * 4, 64);
            new Span<float>(buf, 3 * ci * hp * wa + 64).Fill(0.5f);
            int[] offU = new int[k], offA = new int[k];
            for (int cc = 0, r = 0; cc < ci; cc++) for (int ki = 0; ki < 3; ki++) for (int kj = 0; kj < 3; kj++, r++)
            { offU[r] = cc * hp * wp + ki * wp + kj; offA[r] = kj * ci * hp * wa + cc * hp * wa + ki * wa; }
            double Time(int[] off, int n) { fixed (int* po = off) { Nabla.Kernels.Gemm.SgemmRowTable(n, packed, buf, po, c, n); var t = new List<double>();
                for (int r = 0; r < 15; r++) { var sw = Stopwatch.StartNew(); for (int i = 0; i < 16; i++) Nabla.Kernels.Gemm.SgemmRowTable(n, packed, buf, po, c, n); t.Add(sw.Elapsed.TotalMilliseconds / 16); }
                t.Sort(); return t[7]; } }
            double tu = Time(offU, nU), ta = Time(offA, nA), gf = 2.0 * co * k * hw * hw / 1e6;
            Console.WriteLine($"{ci}->{co} @{hw}: unaligned rows {tu:F3} ms ({gf / tu:F0} GFLOPS useful), aligned rows {ta:F3} ms ({gf / ta:F0} GFLOPS useful)");
            System.Runtime.InteropServices.NativeMemory.AlignedFree(buf); System.Runtime.InteropServices.NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>The last A panel's padding: a 3×3 row-table product at 28×28 (K = 288) with m = 30, 32 and 36 output rows,
    /// serial, the minimum of many calls (robust to a noisy host). With tiles that skip the zero rows, m = 32 costs
    /// about what m = 30 costs plus a 2-row tile; with whole 6-row tiles it costs what m = 36 costs.</summary>
    static unsafe void TailRows()
    {
        int wp = 30, k = 288, n = 27 * wp + 28;
        var src = new float[32 * wp * wp + 64]; new Generator(6).FillNormal(src);
        var off = new int[k];
        for (int cc = 0, r = 0; cc < 32; cc++) for (int ki = 0; ki < 3; ki++) for (int kj = 0; kj < 3; kj++, r++) off[r] = cc * wp * wp + ki * wp + kj;
        var c = new float[Nabla.Kernels.Gemm.RowTableGridRows(36) * Nabla.Kernels.Gemm.RowTableGridColumns(n)];
        int ldc = Nabla.Kernels.Gemm.RowTableGridColumns(n);
        for (int round = 0; round < 3; round++)
            foreach (int m in new[] { 30, 32, 36 })
            {
                var w = new float[m * k]; new Generator(7).FillNormal(w);
                var packed = Nabla.Kernels.Gemm.PackRowTableA(m, k, w, k);
                double best = double.MaxValue;
                fixed (float* pb = src, pc = c)
                fixed (int* po = off)
                    for (int i = 0; i < 3000; i++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        Nabla.Kernels.Gemm.SgemmRowTable(n, packed, pb, po, pc, ldc, wholeTiles: true);
                        best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
                Console.WriteLine($"m = {m}: min {best * 1e3:F1} µs ({2.0 * m * n * k / best / 1e6:F1} GFLOPS useful)");
            }
    }

    public static void Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 5;
        if (args.Length > 1 && args[1] == "parts") { Parts(); return; }
        if (args.Length > 1 && args[1] == "dw") { GradWeightForms(); return; }
        if (args.Length > 1 && args[1] == "align") { RowAlignment(); return; }
        if (args.Length > 1 && args[1] == "tail") { TailRows(); return; }
        int batch = args.Length > 1 ? int.Parse(args[1]) : 64;
        var gen = new Generator(1);
        // (cin, cout, hw, k, stride, pad, transposed)
        var shapes = new (int ci, int co, int hw, int k, int s, int p, bool t)[]
        {
            (1, 32, 28, 3, 1, 1, false), (32, 32, 28, 3, 1, 1, false), (32, 64, 14, 3, 1, 1, false),
            (64, 64, 14, 3, 1, 1, false), (64, 64, 7, 3, 1, 1, false), (128, 64, 14, 3, 1, 1, false),
            (96, 32, 28, 3, 1, 1, false), (32, 32, 28, 3, 2, 1, false), (32, 64, 28, 1, 1, 0, false),
            (64, 64, 7, 4, 2, 1, true), (64, 64, 14, 4, 2, 1, true),
        };
        foreach (var sh in shapes)
        {
            var x = Tensor.Randn(gen, batch, sh.ci, sh.hw, sh.hw); x.RequiresGrad = true;
            var w = sh.t ? Tensor.Randn(gen, sh.ci, sh.co, sh.k, sh.k) : Tensor.Randn(gen, sh.co, sh.ci, sh.k, sh.k);
            w.RequiresGrad = true;
            var b = Tensor.Zeros(sh.co); b.RequiresGrad = true;
            var fw = new List<double>(); var bw = new List<double>();
            for (int r = 0; r < reps + 1; r++)
            {
                var sw = Stopwatch.StartNew();
                var y = sh.t ? Functional.ConvTranspose2d(x, w, b, sh.s, sh.p) : Functional.Conv2d(x, w, b, sh.s, sh.p);
                double f = sw.Elapsed.TotalMilliseconds;
                var loss = y.Sum();
                sw.Restart();
                loss.Backward();
                double bk = sw.Elapsed.TotalMilliseconds;
                x.Grad = null; w.Grad = null; b.Grad = null;
                if (r > 0) { fw.Add(f); bw.Add(bk); }
            }
            fw.Sort(); bw.Sort();
            Console.WriteLine($"{(sh.t ? "convT" : "conv")} {sh.ci}->{sh.co} @{sh.hw} k{sh.k}s{sh.s}p{sh.p}: fwd {fw[fw.Count / 2]:F3} (min {fw[0]:F3}) ms  bwd {bw[bw.Count / 2]:F3} (min {bw[0]:F3}) ms");
        }
    }
}
