using Nabla.Kernels;
using Nabla.Tests.Support;
using Xunit;

namespace Nabla.Tests;

/// <summary>In the kernel-selection collection: the pool and its thread count are process-wide, and the tests there
/// change them (one failure of ForPropagatesAFailingBodyAndStaysUsable was seen while they ran alongside).</summary>
[Collection(KernelSelection.Name)]
public class WorkerPoolTests
{
    [Fact]
    public void ForRunsEveryIndexOnceAlsoWhenNested()
    {
        var hits = new int[1000];
        var inner = new int[64];
        WorkerPool.For(hits.Length, i =>
        {
            Interlocked.Increment(ref hits[i]);
            // nested: the workers are busy, so this runs serially on the calling thread
            if (i % 100 == 0) WorkerPool.For(inner.Length, j => Interlocked.Increment(ref inner[j]));
        });
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.All(inner, h => Assert.Equal(10, h));
    }

    [Fact]
    public void ForPropagatesAFailingBodyAndStaysUsable()
    {
        var e = Assert.ThrowsAny<Exception>(() => WorkerPool.For(50, i => { if (i == 37) throw new InvalidOperationException("body 37"); }));
        IEnumerable<Exception> all = e is AggregateException ae ? ae.Flatten().InnerExceptions : new[] { e };
        Assert.Contains(all, x => x.Message == "body 37");
        int n = 0;
        WorkerPool.For(10, _ => Interlocked.Increment(ref n));
        Assert.Equal(10, n);
        // a threaded product afterwards still works
        var a = new float[300 * 300]; var b = new float[300 * 300]; var c = new float[300 * 300];
        Array.Fill(a, 1f); Array.Fill(b, 2f);
        Gemm.Sgemm(false, false, 300, 300, 300, a, 300, b, 300, c, 300);
        Assert.All(c, v => Assert.Equal(600f, v));
    }

    /// <summary>When the caller's own share fails, For must still wait for every worker before it returns: the job's
    /// state is released on return, and a worker still running would fail later, inside the next job (this was a
    /// real bug — the next product reported a stray NullReferenceException).</summary>
    [Fact]
    public void ForWaitsForBusyWorkersWhenTheCallerFails()
    {
        int saved = WorkerPool.Threads;
        if (saved < 2) WorkerPool.Threads = 2;
        try
        {
            // another test may hold the pool (For then runs serially on the caller): try again until a worker takes part
            for (int attempt = 0; attempt < 200; attempt++)
            {
                int caller = Environment.CurrentManagedThreadId;
                using var started = new ManualResetEventSlim();
                int finished = 0;
                bool workerTookPart = false;
                var e = Assert.ThrowsAny<Exception>(() => WorkerPool.For(2, _ =>
                {
                    if (Environment.CurrentManagedThreadId != caller)
                    {
                        started.Set();
                        Thread.Sleep(200);
                        Volatile.Write(ref finished, 1);
                        return;
                    }
                    workerTookPart = started.Wait(500);
                    throw new InvalidOperationException("caller's share");
                }));
                if (!workerTookPart) continue;
                Assert.Equal(1, Volatile.Read(ref finished));
                IEnumerable<Exception> all = e is AggregateException ae ? ae.Flatten().InnerExceptions : new[] { e };
                Assert.Contains(all, x => x.Message == "caller's share");
                return;
            }
            Assert.Fail("no worker took part in 200 attempts: the pool stayed busy or never started a worker");
        }
        finally { WorkerPool.Threads = saved; }
    }
}
