using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Micro-tile of <paramref name="k"/>: MR rows × NR columns of C held in registers: 8×32 with AVX-512, else
    /// 6×16. Eight rows waste no work on the multiples of 8 that channel counts and batch sizes usually are.</summary>
    internal static (int MR, int NR) Tile(GemmKernel k) => k == GemmKernel.Avx512 ? (8, 32) : (6, 16);

    /// <summary>
    /// Cache blocks of <paramref name="k"/>: kc (shared dimension; a B micro-panel kc×NR sits in L1; 256 with AVX-512,
    /// else 512) and mc (an A block mc×kc in L2), from <see cref="NablaSettings"/>.
    /// </summary>
    internal static (int KC, int MC) Blocks(GemmKernel k)
    {
        var s = NablaSettings.Current;
        int mr = Tile(k).MR;
        return (s.GemmKc ?? (k == GemmKernel.Avx512 ? 256 : 512), Math.Max(s.GemmMc / mr, 1) * mr);
    }

    /// <summary>At most this many floats of packed op(B) per thread (a k×nc column block, in L3).</summary>
    static readonly int BFloats = NablaSettings.Current.GemmBFloats;

    /// <summary>Up to this many rows of C (AVX-512 kernel), a non-transposed op(B) is read in place instead of packed.</summary>
    static readonly int DirectBRows = NablaSettings.Current.GemmDirectBRows;

    static int RoundUp(int x, int to) => (x + to - 1) / to * to;
    static int CeilDiv(int x, int d) => (x + d - 1) / d;

    /// <summary>
    /// A product cut into tasks: task t covers rows [ic, ic + mcT) × columns [jc, jc + ncT) of C, with
    /// t = (jc / ncT)·nI + ic / mcT. Threads take tasks in order from <see cref="Next"/>; a thread packs the
    /// k×ncT column block of op(B) when it first takes a task in it, and an A block per task and kc step.
    /// </summary>
    internal struct Plan
    {
        public bool TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc;
        public float* A, B, C;
        public float Beta;
        public int KcMax, McT, NcT, NI, Total, Threads;
        public int Next;
        /// <summary>The micro-kernel and its tile, fixed for the whole product.</summary>
        public GemmKernel Kernel;
        public int MR, NR;
    }

    /// <summary>Chooses block sizes and the task grid for <paramref name="threads"/> threads.</summary>
    internal static Plan MakePlan(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float beta, int threads)
    {
        var kernel = Kernel;
        var (MR, NR) = Tile(kernel);
        var (KC, MC) = Blocks(kernel);
        int kBlocks = CeilDiv(k, KC);
        var p = new Plan
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            A = a, B = b, C = c, Beta = beta, Threads = threads, Kernel = kernel, MR = MR, NR = NR,
            KcMax = CeilDiv(k, kBlocks),  // even kc steps: k = 513 gives 257 + 256, not 512 + 1
        };
        int ncCap = Math.Max(NR, BFloats / Math.Max(k, 1) / NR * NR);
        int ncT = Math.Min(ncCap, RoundUp(n, NR)), mcT = Math.Min(MC, RoundUp(m, MR));
        if (threads > 1)
        {
            // about four tasks per thread so that a thread slowed by other processes does fewer of them
            int want = 4 * threads, nJ = CeilDiv(n, ncT);
            int rowsPerTask = RoundUp(CeilDiv(m, CeilDiv(want, nJ)), MR);
            mcT = Math.Clamp(rowsPerTask, Math.Min(4 * MR, RoundUp(m, MR)), MC);
            int nI = CeilDiv(m, mcT);
            if (nI * nJ < want)
                ncT = Math.Min(ncT, Math.Max(4 * NR, RoundUp(CeilDiv(n, CeilDiv(want, nI)), NR)));
        }
        p.McT = mcT; p.NcT = ncT;
        p.NI = CeilDiv(m, mcT);
        p.Total = p.NI * CeilDiv(n, ncT);
        return p;
    }

    /// <summary>Single-threaded packed product.</summary>
    internal static void PackedGemm(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float beta)
    {
        var plan = MakePlan(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta, 1);
        RunTasks(&plan);
    }

    /// <summary>Takes and computes tasks of the plan until none is left (called by every participating thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RunTasks(void* state)
    {
        var p = (Plan*)state;
        float* bp = null, ap = null;
        int packedJ = -1, k = p->K, kcMax = p->KcMax, MR = p->MR, NR = p->NR;
        bool avx = p->Kernel == GemmKernel.Avx2, v512 = p->Kernel == GemmKernel.Avx512;
        // row offsets of B̃: packed micro-panels (p·NR) for the AVX-512 and AVX2 kernels, op(B) read in place (p·ldb) for AVX-512
        int* offPacked = stackalloc int[v512 || avx ? kcMax : 0], offDirect = stackalloc int[v512 ? kcMax : 0];
        for (int q = 0; (v512 || avx) && q < kcMax; q++) offPacked[q] = q * NR;
        for (int q = 0; v512 && q < kcMax; q++) offDirect[q] = (int)Math.Min((long)q * p->Ldb, int.MaxValue);
        while (true)
        {
            int t = p->Threads > 1 ? Interlocked.Increment(ref p->Next) - 1 : p->Next++;
            if (t >= p->Total) return;
            int jIdx = t / p->NI, ic = (t - jIdx * p->NI) * p->McT, jc = jIdx * p->NcT;
            int mc = Math.Min(p->McT, p->M - ic), nc = Math.Min(p->NcT, p->N - jc), ncPad = RoundUp(nc, NR);
            if (bp == null)
            {
                var buffers = PackBuffers.Current;
                bp = buffers.B((nuint)k * (nuint)RoundUp(p->NcT, NR));
                ap = buffers.A((nuint)kcMax * (nuint)RoundUp(p->McT, MR) + 8);  // + 8: slack for PackA's 8-float column stores
            }
            // op(B) not transposed and few rows of C: B̃ micro-panels are read in place (rows ldb apart) instead of packed,
            // since a packed panel would serve only a few A micro-panels; only a partial last panel is packed (zero-padded)
            bool direct = v512 && !p->TransB && p->M <= DirectBRows && (long)kcMax * p->Ldb < int.MaxValue;
            int fullN = direct ? nc / NR * NR : 0;
            if (jIdx != packedJ)
            {
                if (direct) { if (fullN < nc) PackB(false, p->B, p->Ldb, 0, jc + fullN, k, nc - fullN, bp, NR); }
                else
                {
                    // the whole k×nc column block, kc step by kc step: step pc starts at bp + pc·ncPad
                    for (int pc = 0; pc < k; pc += kcMax)
                        PackB(p->TransB, p->B, p->Ldb, pc, jc, Math.Min(kcMax, k - pc), nc, bp + (long)pc * ncPad, NR);
                }
                packedJ = jIdx;
            }
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                int mode = pc > 0 || p->Beta == 1f ? Accumulate : p->Beta == 0f ? Store : ScaleAccumulate;
                PackA(p->TransA, p->A, p->Lda, ic, pc, mc, kc, ap, MR);
                float* bstep = bp + (long)pc * ncPad;
                for (int jr = 0; jr < nc; jr += NR)
                {
                    int nr = Math.Min(NR, nc - jr);
                    float* bpanel;
                    int* off = offPacked;
                    if (!direct) bpanel = bstep + (long)jr * kc;
                    else if (jr < fullN) { bpanel = p->B + (long)pc * p->Ldb + jc + jr; off = offDirect; }
                    else bpanel = bp + (long)pc * NR;
                    float* cblock = p->C + (long)ic * p->Ldc + jc + jr;
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mr = Math.Min(MR, mc - ir);
                        if (v512) Kernel512(kc, ap + (long)ir * kc, bpanel, off, cblock + (long)ir * p->Ldc, p->Ldc, mr, nr, mode, p->Beta);
                        else if (avx) KernelAvxRows(kc, ap + (long)ir * kc, bpanel, off, cblock + (long)ir * p->Ldc, p->Ldc, mr, mr, nr, mode, p->Beta);
                        else KernelPortable(kc, ap + (long)ir * kc, bpanel, cblock + (long)ir * p->Ldc, p->Ldc, mr, nr, mode, p->Beta);
                    }
                }
            }
        }
    }
}
