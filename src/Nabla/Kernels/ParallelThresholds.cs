namespace Nabla.Kernels;

/// <summary>
/// The one place for the sizes from which work is shared between the threads of the <see cref="WorkerPool"/> (below
/// them waking a worker costs more than it saves) and for the GEMM's small-product cut-off.
/// </summary>
public static class ParallelThresholds
{
    /// <summary>Below this m·n·k a product takes the direct loop (no packing).</summary>
    public const long SmallGemmWork = 32 * 32 * 32;

    /// <summary>From this m·n·k on one product is shared between the threads by <see cref="Gemm.Sgemm"/> itself.</summary>
    public const long GemmWork = 96L * 96 * 96;

    /// <summary>
    /// From this m·n·k a row-table product (one image's implicit-GEMM convolution) splits its columns over the threads.
    /// Higher than <see cref="GemmWork"/>: the padded image is written by the calling core and the output gathered
    /// there, so a split moves both between the cores' caches; measured at batch 1 on 2 Zen 3 cores, the split made
    /// 7.7M- and 8.2M-MAC convolutions (32→32 at 28×28, 64→64 at 14×14) 1.2–1.3× slower and a 23M one 1.4× faster.
    /// </summary>
    public const long RowTableWork = 12_000_000;

    /// <summary>From this many floating-point operations in total a batch of images (convolutions) is split over the threads.</summary>
    public const double BatchFlops = 2e6;

    /// <summary>
    /// A split batch is cut into this many slots (fewer when it has fewer images), whatever the thread count: each slot
    /// sums its own ∂W, and the slots are added in order, so results are the same bit for bit on 1, 2 or 16 threads.
    /// </summary>
    public const int BatchSlots = 4;

    /// <summary>From this many elements in total the rows (channels, groups) of a normalization or softmax are split over the threads.</summary>
    public const long RowElements = 1 << 15;

    /// <summary>From this many multiply-adds a chunked double-precision pass (EM, k-means, lagged moments, AR residuals) is split.</summary>
    public const long DoubleWork = 400_000;

    /// <summary>From this many elements an optimizer step over one parameter is split into chunks of <see cref="OptimChunk"/>.</summary>
    public const int OptimElements = 4 * OptimChunk;

    /// <summary>Elements per chunk of a parallel optimizer step.</summary>
    public const int OptimChunk = 1 << 14;
}
