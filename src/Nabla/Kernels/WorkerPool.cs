using System.Diagnostics;

namespace Nabla.Kernels;

/// <summary>
/// The library's one pool of persistent worker threads. Every parallel loop (<see cref="For(int, Action{int})"/>) and
/// every threaded product (<see cref="Gemm.Sgemm"/>) runs on it, so threads never compete for the cores. A job runs on
/// the calling thread and up to <see cref="Threads"/> − 1 workers, which take its tasks in turn (a thread slowed by
/// other processes simply takes fewer). A worker spins briefly after a job (back-to-back jobs then start without a
/// wake-up) and then sleeps. One job holds the workers at a time: a job started while they are busy (nested, or from
/// another thread) runs serially on its caller.
/// </summary>
public static unsafe class WorkerPool
{
    static readonly long SpinTicks = Stopwatch.Frequency * NablaSettings.Current.SpinMicroseconds / 1_000_000;
    static readonly object Gate = new();
    static Worker[] workers = [];
    static int threads = Math.Max(1, NablaSettings.Current.Threads);
    static int busy;

    /// <summary>
    /// Threads that parallel work uses, the caller included (1 = everything serial). Defaults to <c>NABLA_THREADS</c>
    /// or the machine's processor count; benchmarks pin it (2, like the references). Workers are started on demand.
    /// </summary>
    public static int Threads
    {
        get => Volatile.Read(ref threads);
        set
        {
            if (value < 1 || value > 256) throw new ArgumentOutOfRangeException(nameof(value), $"WorkerPool.Threads must be in [1, 256], got {value}");
            Volatile.Write(ref threads, value);
        }
    }

    /// <summary>Runs <paramref name="body"/>(i) once for every i in [0, <paramref name="count"/>), shared between the caller
    /// and the workers (indices handed out in order). A failing body's exception is rethrown, wrapped, after all threads stop.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        var job = new ForJob { Body = body, Total = count };
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(job);
        try
        {
            if (count == 1 || !TryRun(&RunFor, (void*)System.Runtime.InteropServices.GCHandle.ToIntPtr(handle), count - 1, "For"))
                for (int i = 0; i < count; i++) body(i);
        }
        finally { handle.Free(); }
    }

    /// <summary>As <see cref="For(int, Action{int})"/>, serially when <paramref name="work"/> (in the units of
    /// <paramref name="threshold"/>, see <see cref="ParallelThresholds"/>) is below the threshold.</summary>
    public static void For(int count, double work, double threshold, Action<int> body)
    {
        if (work < threshold) { for (int i = 0; i < count; i++) body(i); return; }
        For(count, body);
    }

    sealed class ForJob
    {
        public required Action<int> Body;
        public required int Total;
        public int Next;
    }

    static void RunFor(void* state)
    {
        var job = (ForJob)System.Runtime.InteropServices.GCHandle.FromIntPtr((nint)state).Target!;
        for (int t; (t = Interlocked.Increment(ref job.Next) - 1) < job.Total;) job.Body(t);
    }

    /// <summary>
    /// Runs <paramref name="work"/>(<paramref name="state"/>) on the caller and on up to <paramref name="helpers"/> workers
    /// (at most <see cref="Threads"/> − 1); each call takes tasks from the shared state until none is left. Returns false,
    /// having run nothing, when the pool is busy or single-threaded: the caller then does the work alone.
    /// </summary>
    internal static bool TryRun(delegate*<void*, void> work, void* state, int helpers, string what)
    {
        helpers = Math.Min(helpers, Threads - 1);
        if (helpers <= 0 || Interlocked.CompareExchange(ref busy, 1, 0) != 0) return false;
        try
        {
            var ws = Workers(helpers);
            for (int w = 0; w < helpers; w++) ws[w].Post(work, state);
            Exception? error = null;
            try { work(state); }
            catch (Exception e) { error = e; }
            // the state may live on the caller's stack: every worker must be finished with it (or never have started),
            // also when the caller's share failed — each one is retired, not only up to the first error
            for (int w = 0; w < helpers; w++)
            {
                var failed = ws[w].Retire();
                error ??= failed;
            }
            if (error != null) throw new AggregateException($"{what}: a worker failed.", error);
            return true;
        }
        finally { Volatile.Write(ref busy, 0); }
    }

    /// <summary>At least <paramref name="count"/> started workers (called while holding the pool).</summary>
    static Worker[] Workers(int count)
    {
        var ws = workers;
        if (ws.Length >= count) return ws;
        lock (Gate)
        {
            ws = workers;
            if (ws.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(ws, grown, ws.Length);
                for (int i = ws.Length; i < count; i++) grown[i] = new Worker(i);
                workers = ws = grown;
            }
        }
        return ws;
    }

    sealed class Worker
    {
        const int Idle = 0, Posted = 1, Running = 2;
        readonly SemaphoreSlim wake = new(0);
        delegate*<void*, void> work;
        void* state;
        int status, posts, sleeping;
        Exception? error;

        public Worker(int index)
        {
            var thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = $"Nabla worker {index + 1}" };
            thread.Start();
        }

        public void Post(delegate*<void*, void> w, void* s)
        {
            work = w; state = s;
            error = null;
            Volatile.Write(ref status, Posted);
            Volatile.Write(ref posts, posts + 1);
            if (Interlocked.Exchange(ref sleeping, 0) == 1) wake.Release();
        }

        /// <summary>Withdraws the job if the worker has not taken it yet, else waits until it has finished.</summary>
        public Exception? Retire()
        {
            if (Interlocked.CompareExchange(ref status, Idle, Posted) == Posted) return null;
            var spin = new SpinWait();
            while (Volatile.Read(ref status) != Idle) spin.SpinOnce(sleep1Threshold: -1);
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
                if (Interlocked.CompareExchange(ref status, Running, Posted) != Posted) continue;  // withdrawn
                try { work(state); }
                catch (Exception e) { error = e; }
                Volatile.Write(ref status, Idle);
            }
        }
    }
}
