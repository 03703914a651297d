using Nabla.Kernels;

namespace Nabla.Tests.Support;

/// <summary>
/// A test of one GEMM micro-kernel: reported as skipped, with the reason, on a CPU that does not run it (never as
/// passed). Such tests switch <see cref="Gemm.Kernel"/>, so their class belongs to <see cref="KernelSelection"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute(GemmKernel kernel)
    {
        if (!NablaSettings.IsSupported(kernel)) Skip = $"this CPU does not run the {kernel} GEMM micro-kernel";
    }
}

/// <summary>The theory form of <see cref="KernelFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    public KernelTheoryAttribute(GemmKernel kernel)
    {
        if (!NablaSettings.IsSupported(kernel)) Skip = $"this CPU does not run the {kernel} GEMM micro-kernel";
    }
}

/// <summary>
/// Tests that switch the process-wide kernel or thread count run alone (no other test runs meanwhile), so a test of
/// another class never sees a kernel it did not ask for.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelSelection
{
    public const string Name = "Kernel selection";

    /// <summary>Runs <paramref name="body"/> with <paramref name="kernel"/> as <see cref="Gemm.Kernel"/>, restoring the previous one.</summary>
    public static void With(GemmKernel kernel, Action body)
    {
        var previous = Gemm.Kernel;
        Gemm.Kernel = kernel;
        try { body(); }
        finally { Gemm.Kernel = previous; }
    }

    /// <summary>Runs <paramref name="body"/> with <paramref name="threads"/> as <see cref="WorkerPool.Threads"/>, restoring the previous count.</summary>
    public static void WithThreads(int threads, Action body)
    {
        var previous = WorkerPool.Threads;
        WorkerPool.Threads = threads;
        try { body(); }
        finally { WorkerPool.Threads = previous; }
    }
}

/// <summary>
/// A test of the row-table (implicit-GEMM) convolution paths: reported as skipped, with the reason, where the selected
/// kernel has no row-table product (the portable kernel, e.g. under <c>NABLA_GEMM_KERNEL=portable</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RowTableFactAttribute : FactAttribute
{
    public RowTableFactAttribute()
    {
        if (!Gemm.RowTableSupported) Skip = $"the {Gemm.Kernel} GEMM kernel has no row-table product (implicit-GEMM convolutions)";
    }
}

/// <summary>The theory form of <see cref="RowTableFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RowTableTheoryAttribute : TheoryAttribute
{
    public RowTableTheoryAttribute()
    {
        if (!Gemm.RowTableSupported) Skip = $"the {Gemm.Kernel} GEMM kernel has no row-table product (implicit-GEMM convolutions)";
    }
}
