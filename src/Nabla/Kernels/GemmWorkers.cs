using System.Diagnostics;

namespace Nabla.Kernels;

/// <summary>
/// Persistent worker threads for <see cref="Gemm.Sgemm"/>: the rows of C (or its columns, when C has few rows)
/// are cut into tasks (see <see cref="Gemm.Plan"/>) that the caller and the workers take in turn, each thread
/// packing its own panels, so a thread slowed by other processes simply takes fewer tasks. A worker spins briefly after a job (back-to-back products then start without a wake-up)
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
            var plan = Gemm.MakePlan(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta, Count + 1);
            Dispatch(&plan, "Sgemm");
        }
        finally { Volatile.Write(ref busy, 0); }
    }

    /// <summary>The body of the running <see cref="For"/> job (one job holds the workers at a time).</summary>
    static Action<int>? forBody;

    /// <summary>
    /// Runs <paramref name="body"/>(i) once for every i in [0, <paramref name="count"/>), shared between the calling thread
    /// and the GEMM workers (indices handed out in order), so that parallel loops and threaded products use the same
    /// threads instead of competing for the cores. While it runs, products started inside the body (or by another
    /// thread) run single-threaded; a call made while the workers are busy runs serially on the caller.
    /// </summary>
    internal static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || Count == 0 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            forBody = body;
            var plan = new Gemm.Plan { IsFor = true, Total = count, Threads = Count + 1 };
            Dispatch(&plan, "For");
        }
        finally { forBody = null; Volatile.Write(ref busy, 0); }
    }

    static void RunFor(Gemm.Plan* p)
    {
        var body = forBody!;
        for (int t; (t = Interlocked.Increment(ref p->Next) - 1) < p->Total;) body(t);
    }

    static void Work(Gemm.Plan* p)
    {
        if (p->IsFor) RunFor(p);
        else Gemm.RunTasks(p);
    }

    /// <summary>Posts the plan to as many workers as it has tasks for, works on it too, and waits for them.</summary>
    static void Dispatch(Gemm.Plan* plan, string what)
    {
        int helpers = Math.Min(Count, plan->Total - 1);
        for (int w = 0; w < helpers; w++) Workers[w].Post(plan);
        Exception? error = null;
        try { Work(plan); }
        catch (Exception e) { error = e; }
        // the plan lives on the caller's stack: every worker must be finished with it (or never have started)
        for (int w = 0; w < helpers; w++) error ??= Workers[w].Retire();
        if (error != null) throw new AggregateException($"{what}: a worker failed.", error);
    }

    sealed class Worker
    {
        const int Idle = 0, Posted = 1, Running = 2;
        readonly SemaphoreSlim wake = new(0);
        Gemm.Plan* plan;
        int state, posts, sleeping;
        Exception? error;

        public Worker(int index)
        {
            var thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = $"Nabla.Gemm worker {index + 1}" };
            thread.Start();
        }

        public void Post(Gemm.Plan* p)
        {
            plan = p;
            error = null;
            Volatile.Write(ref state, Posted);
            Volatile.Write(ref posts, posts + 1);
            if (Interlocked.Exchange(ref sleeping, 0) == 1) wake.Release();
        }

        /// <summary>Withdraws the job if the worker has not taken it yet, else waits until it has finished.</summary>
        public Exception? Retire()
        {
            if (Interlocked.CompareExchange(ref state, Idle, Posted) == Posted) return null;
            var spin = new SpinWait();
            while (Volatile.Read(ref state) != Idle) spin.SpinOnce(sleep1Threshold: -1);
            return error;
        }

        void Loop()
        {
            int seen = 0;
            while (true)
            {
                long deadline = Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref posts) == seen)
                {
                    if (Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(16); continue; }
                    Interlocked.Exchange(ref sleeping, 1);
                    if (Volatile.Read(ref posts) != seen)
                    {
                        // a post raced with going to sleep: if the poster saw the flag, consume its release
                        if (Interlocked.Exchange(ref sleeping, 0) == 0) wake.Wait();
                    }
                    else wake.Wait();
                    deadline = Stopwatch.GetTimestamp() + SpinTicks;
                }
                seen = Volatile.Read(ref posts);
                if (Interlocked.CompareExchange(ref state, Running, Posted) != Posted) continue;  // withdrawn
                try { Work(plan); }
                catch (Exception e) { error = e; }
                Volatile.Write(ref state, Idle);
            }
        }
    }
}
