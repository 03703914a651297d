using System.Buffers;

namespace Nabla.NN;

/// <summary>
/// Splits a batch of images into a fixed number of contiguous ranges (slots, see <see cref="Kernels.ParallelThresholds.BatchSlots"/>)
/// and runs a body on each range on the worker pool, so every slot reuses its own scratch buffers across its images (no
/// allocation per image) and a slot's partial sums do not depend on the thread count. Small batches stay on the calling thread.
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
    /// How many slots a batch of n images costing <paramref name="flops"/> in total is cut into. When each image's
    /// largest GEMM (<paramref name="gemmWork"/> = m·n·k) is big enough for Gemm to use every core, the images run
    /// one after another (splitting them too would oversubscribe the cores); otherwise they are split into
    /// min(n, <see cref="Kernels.ParallelThresholds.BatchSlots"/>) slots, which the pool's threads take in turn.
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
