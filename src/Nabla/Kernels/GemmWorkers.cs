using System.Diagnostics;

namespace Nabla.Kernels;

/// <summary>
/// Persistent worker threads for <see cref="Gemm.Sgemm"/>: the rows of C (or its columns, when C has few rows)
/// are cut into one share per thread; the caller computes the first share, each worker one other, each packing
/// its own panels. A worker spins briefly after a job (back-to-back products then start without a wake-up)
/// and then sleeps on a semaphore. One product uses the workers at a time; a concurrent caller runs alone.
/// </summary>
internal static unsafe class GemmWorkers
{
    static readonly int Count = Math.Clamp(Environment.ProcessorCount - 1, 0, 15);
    static readonly long SpinTicks = Stopwatch.Frequency * EnvInt("NABLA_GEMM_SPIN_US", 300) / 1_000_000;
    static readonly Worker[] Workers = CreateWorkers();
    static int busy;

    internal static bool Available => Count > 0;

    static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v >= 0 ? v : fallback;

    static Worker[] CreateWorkers()
    {
        var w = new Worker[Count];
        for (int i = 0; i < Count; i++) w[i] = new Worker(i);
        return w;
    }

    /// <summary>One share: C[rows or columns] = op(A)·op(B) + β·C on pointers already offset to the share.</summary>
    struct Job
    {
        public bool TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc;
        public float* A, B, C;
        public float Beta;
        public readonly void Execute() => Gemm.PackedGemm(TransA, TransB, M, N, K, A, Lda, B, Ldb, C, Ldc, Beta);
    }

    internal static void Run(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float beta)
    {
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            Gemm.PackedGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);
            return;
        }
        try
        {
            int threads = Count + 1;
            int mTiles = (m + Gemm.MR - 1) / Gemm.MR, nTiles = (n + Gemm.NR - 1) / Gemm.NR;
            bool splitM = mTiles >= 2 * threads || mTiles >= nTiles;
            int tiles = splitM ? mTiles : nTiles;
            int parts = Math.Min(threads, tiles);
            if (parts < 2)
            {
                Gemm.PackedGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);
                return;
            }
            Span<Job> jobs = stackalloc Job[parts];
            for (int t = 0; t < parts; t++)
            {
                int t0 = (int)((long)tiles * t / parts), t1 = (int)((long)tiles * (t + 1) / parts);
                ref var j = ref jobs[t];
                j = new Job { TransA = transA, TransB = transB, M = m, N = n, K = k, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc, Beta = beta };
                if (splitM)
                {
                    int r0 = t0 * Gemm.MR, r1 = Math.Min(m, t1 * Gemm.MR);
                    j.M = r1 - r0;
                    j.A = transA ? a + r0 : a + (long)r0 * lda;
                    j.C = c + (long)r0 * ldc;
                }
                else
                {
                    int c0 = t0 * Gemm.NR, c1 = Math.Min(n, t1 * Gemm.NR);
                    j.N = c1 - c0;
                    j.B = transB ? b + (long)c0 * ldb : b + c0;
                    j.C = c + c0;
                }
            }
            for (int t = 1; t < parts; t++) Workers[t - 1].Post(jobs[t]);
            Exception? error = null;
            try { jobs[0].Execute(); }
            catch (Exception e) { error = e; }
            for (int t = 1; t < parts; t++) error ??= Workers[t - 1].WaitDone();
            if (error != null) throw new AggregateException("Sgemm: a worker failed.", error);
        }
        finally { Volatile.Write(ref busy, 0); }
    }

    sealed class Worker
    {
        readonly SemaphoreSlim wake = new(0);
        Job job;
        int posted, done, sleeping;
        Exception? error;

        public Worker(int index)
        {
            var thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = $"Nabla.Gemm worker {index + 1}" };
            thread.Start();
        }

        public void Post(in Job j)
        {
            job = j;
            error = null;
            Volatile.Write(ref posted, posted + 1);
            if (Interlocked.Exchange(ref sleeping, 0) == 1) wake.Release();
        }

        public Exception? WaitDone()
        {
            int target = Volatile.Read(ref posted);
            var spin = new SpinWait();
            while (Volatile.Read(ref done) != target) spin.SpinOnce(sleep1Threshold: -1);
            return error;
        }

        void Loop()
        {
            int seen = 0;
            while (true)
            {
                long deadline = Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref posted) == seen)
                {
                    if (Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(16); continue; }
                    Interlocked.Exchange(ref sleeping, 1);
                    if (Volatile.Read(ref posted) != seen)
                    {
                        // a post raced with going to sleep: if the poster saw the flag, consume its release
                        if (Interlocked.Exchange(ref sleeping, 0) == 0) wake.Wait();
                    }
                    else wake.Wait();
                    deadline = Stopwatch.GetTimestamp() + SpinTicks;
                }
                seen = Volatile.Read(ref posted);
                try { job.Execute(); }
                catch (Exception e) { error = e; }
                Volatile.Write(ref done, seen);
            }
        }
    }
}
