using System.Buffers;

namespace Nabla.NN;

/// <summary>
/// Splits a batch of images into one contiguous range per core and runs a body on each range, so every worker
/// reuses its own scratch buffers across its images (no allocation per image). Small batches of work stay on the
/// calling thread.
/// </summary>
internal static class ImageBatch
{
    /// <summary>Calls <paramref name="body"/>(start, end, worker) over a partition of [0, n) into <paramref name="workers"/> ranges.</summary>
    public static void For(int n, int workers, Action<int, int, int> body)
    {
        if (workers <= 1) { body(0, n, 0); return; }
        // on the GEMM workers: the same threads as threaded products, so the two never compete for the cores
        Kernels.WorkerPool.For(workers, w => body((int)((long)w * n / workers), (int)((long)(w + 1) * n / workers), w));
    }

    /// <summary>
    /// How many workers a batch of n images costing <paramref name="flops"/> in total deserves. When each image's
    /// largest GEMM (<paramref name="gemmWork"/> = m·n·k) is big enough for Gemm to use every core, the images run
    /// one after another (splitting them too would oversubscribe the cores); otherwise they are split over the cores.
    /// </summary>
    public static int Workers(int n, double flops, long gemmWork = 0)
    {
        if (gemmWork >= Kernels.ParallelThresholds.GemmWork) return 1;
        int slots = Math.Min(n, Kernels.ParallelThresholds.BatchSlots);   // not the thread count: see BatchSlots
        return slots <= 1 || flops < Kernels.ParallelThresholds.BatchFlops ? 1 : slots;
    }

    public static float[] Rent(int length) => ArrayPool<float>.Shared.Rent(Math.Max(1, length));
    public static void Return(float[]? a) { if (a != null) ArrayPool<float>.Shared.Return(a); }
}
