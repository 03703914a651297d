using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs the mc×kc block of op(A) starting at row i0, column p0 into micro-panels of MR rows:
    /// panel r holds op(A)[i0+MR·r+ii, p0+p] at dst[MR·kc·r + MR·p + ii], rows past mc zero-filled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackA(bool transA, float* a, int lda, int i0, int p0, int mc, int kc, float* dst, int MR)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            int i = i0 + ir;
            if (transA)
            {
                // op(A)ᵢₚ = a[p·lda + i]: MR contiguous values per p
                float* src = a + (long)p0 * lda + i;
                if (mr == MR && MR == 8 && Vector256.IsHardwareAccelerated)
                {
                    for (int p = 0; p < kc; p++, src += lda, dst += MR) Vector256.Store(Vector256.Load(src), dst);
                }
                else if (mr == MR && MR == 6)
                {
                    for (int p = 0; p < kc; p++, src += lda, dst += MR)
                    {
                        dst[0] = src[0]; dst[1] = src[1]; dst[2] = src[2];
                        dst[3] = src[3]; dst[4] = src[4]; dst[5] = src[5];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += lda, dst += MR)
                        for (int ii = 0; ii < MR; ii++) dst[ii] = ii < mr ? src[ii] : 0f;
                }
            }
            else
            {
                // op(A)ᵢₚ = a[i·lda + p]: MR rows read in step
                float* r0 = a + (long)i * lda + p0;
                if (mr == MR)
                {
                    int p = 0;
                    if (Avx.IsSupported)
                    {
                        // 8 columns at a time. MR = 6: transpose the rows (row 5 repeated as rows 6, 7) and store each
                        // column as 8 floats at stride MR; the 2 spare floats are overwritten by the next column
                        // (after the panel's last column they land in the buffer's slack or the next panel).
                        // MR = 8: an 8×8 transpose, exact stores.
                        if (MR == 6)
                            for (; p + 8 <= kc; p += 8, dst += 8 * MR)
                                Transpose6x8(r0 + p, r0 + lda + p, r0 + 2L * lda + p, r0 + 3L * lda + p, r0 + 4L * lda + p, r0 + 5L * lda + p, dst);
                        else if (MR == 8)
                            for (; p + 8 <= kc; p += 8, dst += 8 * MR) Transpose8x8(r0 + p, lda, dst, MR);
                    }
                    for (; p < kc; p++, dst += MR)
                    {
                        float* s0 = r0 + p;
                        for (int ii = 0; ii < MR; ii++) dst[ii] = s0[ii * (long)lda];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, dst += MR)
                        for (int ii = 0; ii < MR; ii++) dst[ii] = ii < mr ? r0[(long)ii * lda + p] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs the kc×nc block of op(B) starting at row p0, column j0 into micro-panels of NR columns:
    /// panel s holds op(B)[p0+p, j0+NR·s+jj] at dst[NR·kc·s + NR·p + jj], columns past nc zero-filled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackB(bool transB, float* b, int ldb, int p0, int j0, int kc, int nc, float* dst, int NR)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            int j = j0 + jr;
            if (!transB)
            {
                // op(B)ₚⱼ = b[p·ldb + j]: a contiguous run of NR per p
                float* src = b + (long)p0 * ldb + j;
                if (nr == NR && Vector256.IsHardwareAccelerated)
                {
                    for (int p = 0; p < kc; p++, src += ldb, dst += NR)
                        for (int jj = 0; jj < NR; jj += 8)
                            Vector256.Store(Vector256.Load(src + jj), dst + jj);
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb, dst += NR)
                        for (int jj = 0; jj < NR; jj++) dst[jj] = jj < nr ? src[jj] : 0f;
                }
            }
            else
            {
                // op(B)ₚⱼ = b[j·ldb + p]: column j of op(B) is a contiguous row of b
                float* src = b + (long)j * ldb + p0;
                int p = 0;
                if (nr == NR && Avx.IsSupported)
                {
                    for (; p + 8 <= kc; p += 8)
                        for (int jj = 0; jj < NR; jj += 8)
                            Transpose8x8(src + (long)jj * ldb + p, ldb, dst + NR * p + jj, NR);
                }
                for (; p < kc; p++)
                {
                    float* d = dst + NR * p;
                    for (int jj = 0; jj < NR; jj++) d[jj] = jj < nr ? src[(long)jj * ldb + p] : 0f;
                }
                dst += NR * kc;
            }
        }
    }

    /// <summary>Reads an 8×8 tile (rows src + r·ld) and writes its transpose as 8 rows of stride <paramref name="ds"/> at dst.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, int ld, float* dst, int ds)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + ld);
        var r2 = Avx.LoadVector256(src + 2L * ld); var r3 = Avx.LoadVector256(src + 3L * ld);
        var r4 = Avx.LoadVector256(src + 4L * ld); var r5 = Avx.LoadVector256(src + 5L * ld);
        var r6 = Avx.LoadVector256(src + 6L * ld); var r7 = Avx.LoadVector256(src + 7L * ld);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + ds, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * ds, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * ds, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * ds, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * ds, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * ds, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * ds, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>Transposes 8 columns of 6 rows; column q goes to dst + 6·q (the A panel stride) as 8 floats (the last 2 are spare).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose6x8(float* s0, float* s1, float* s2, float* s3, float* s4, float* s5, float* dst)
    {
        var r0 = Avx.LoadVector256(s0); var r1 = Avx.LoadVector256(s1);
        var r2 = Avx.LoadVector256(s2); var r3 = Avx.LoadVector256(s3);
        var r4 = Avx.LoadVector256(s4); var r5 = Avx.LoadVector256(s5);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var s0_ = Avx.Shuffle(t0, t2, 0x44); var s1_ = Avx.Shuffle(t0, t2, 0xEE);
        var s2_ = Avx.Shuffle(t1, t3, 0x44); var s3_ = Avx.Shuffle(t1, t3, 0xEE);
        var s4_ = Avx.Shuffle(t4, t4, 0x44); var s5_ = Avx.Shuffle(t4, t4, 0xEE);
        var s6_ = Avx.Shuffle(t5, t5, 0x44); var s7_ = Avx.Shuffle(t5, t5, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0_, s4_, 0x20));
        Avx.Store(dst + 6, Avx.Permute2x128(s1_, s5_, 0x20));
        Avx.Store(dst + 2  * 6, Avx.Permute2x128(s2_, s6_, 0x20));
        Avx.Store(dst + 3  * 6, Avx.Permute2x128(s3_, s7_, 0x20));
        Avx.Store(dst + 4  * 6, Avx.Permute2x128(s0_, s4_, 0x31));
        Avx.Store(dst + 5  * 6, Avx.Permute2x128(s1_, s5_, 0x31));
        Avx.Store(dst + 6  * 6, Avx.Permute2x128(s2_, s6_, 0x31));
        Avx.Store(dst + 7  * 6, Avx.Permute2x128(s3_, s7_, 0x31));
    }

    /// <summary>Per-thread 64-byte-aligned packing buffers, grown on demand and reused across calls.</summary>
    sealed class PackBuffers
    {
        [ThreadStatic] static PackBuffers? current;
        float* a, b;
        nuint aCap, bCap;

        internal static PackBuffers Current => current ??= new PackBuffers();

        internal float* A(nuint floats) => Ensure(ref a, ref aCap, floats);
        internal float* B(nuint floats) => Ensure(ref b, ref bCap, floats);

        static float* Ensure(ref float* p, ref nuint cap, nuint floats)
        {
            if (floats <= cap) return p;
            if (p != null) NativeMemory.AlignedFree(p);
            p = null; cap = 0;
            p = (float*)NativeMemory.AlignedAlloc(floats * sizeof(float), 64);
            cap = floats;
            return p;
        }

        ~PackBuffers()
        {
            if (a != null) NativeMemory.AlignedFree(a);
            if (b != null) NativeMemory.AlignedFree(b);
        }
    }
}
