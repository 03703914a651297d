using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>The GEMM micro-kernels: each computes MR×NR tiles of C from packed panels.</summary>
public enum GemmKernel
{
    /// <summary>6×16 tile with Vector128 arithmetic (or its software fallback): runs on every CPU.</summary>
    Portable,
    /// <summary>6×16 tile, 12 Vector256 accumulators, AVX2 + FMA.</summary>
    Avx2,
    /// <summary>8×32 tile, 16 Vector512 accumulators, AVX-512F on CPUs that run 512-bit vectors natively; also enables
    /// reading B in place through a row table (implicit-GEMM convolutions).</summary>
    Avx512,
}

/// <summary>Which algorithm computes a convolution (see <c>Nabla.NN.ConvStrategy</c>).</summary>
public enum ConvAlgorithm
{
    /// <summary>The fastest applicable one: implicit GEMM for stride-1 convolutions where the AVX-512 kernel runs, else im2col.</summary>
    Auto,
    /// <summary>Always unfold into an im2col matrix and multiply (the reference path).</summary>
    Im2Col,
}

/// <summary>
/// Every <c>NABLA_*</c> environment variable of the library, read once at start-up into one object. Each has an API
/// equivalent where changing it at run time makes sense (<see cref="WorkerPool.Threads"/>, <see cref="Gemm.Kernel"/>).
/// A value that does not parse is reported once on standard error, naming the variable, and the default is used.
/// </summary>
public sealed record NablaSettings
{
    /// <summary><c>NABLA_THREADS</c>: threads of parallel loops and products (the caller plus workers); default: the machine's processors.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary><c>NABLA_GEMM_KERNEL</c> = avx512 | avx2 | portable: the GEMM micro-kernel; default: the widest the CPU runs natively.</summary>
    public GemmKernel GemmKernel { get; init; } = BestKernel;
    /// <summary><c>NABLA_GEMM_KC</c>: the shared-dimension cache block kc; default 256 (AVX-512) or 512.</summary>
    public int? GemmKc { get; init; }
    /// <summary><c>NABLA_GEMM_MC</c>: rows of an A block (rounded down to the tile height); default 144.</summary>
    public int GemmMc { get; init; } = 144;
    /// <summary><c>NABLA_GEMM_BFLOATS</c>: at most this many floats of packed B per thread; default 2²¹ (8 MB).</summary>
    public int GemmBFloats { get; init; } = 2 << 20;
    /// <summary><c>NABLA_GEMM_DIRECTB_ROWS</c>: up to this many rows of C the AVX-512 kernel reads a non-transposed B in place; default 64.</summary>
    public int GemmDirectBRows { get; init; } = 64;
    /// <summary><c>NABLA_SPIN_US</c>: microseconds a worker spins after a job before it sleeps; default 300.</summary>
    public int SpinMicroseconds { get; init; } = 300;
    /// <summary><c>NABLA_CONV_CHUNK</c>: about this many floats in one image chunk's largest matrix; default 2¹⁸ (1 MB).</summary>
    public long ConvChunkFloats { get; init; } = 1 << 18;
    /// <summary><c>NABLA_CONV</c> = auto | im2col: the convolution algorithm.</summary>
    public ConvAlgorithm Conv { get; init; } = ConvAlgorithm.Auto;

    /// <summary>The widest GEMM kernel this CPU runs natively.</summary>
    public static GemmKernel BestKernel =>
        IsSupported(GemmKernel.Avx512) ? GemmKernel.Avx512 : IsSupported(GemmKernel.Avx2) ? GemmKernel.Avx2 : GemmKernel.Portable;

    /// <summary>Whether <paramref name="kernel"/> can run on this CPU.</summary>
    public static bool IsSupported(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        GemmKernel.Avx2 => Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>The settings of this process, read from its environment on first use.</summary>
    public static NablaSettings Current { get; } = FromEnvironment(Environment.GetEnvironmentVariable, Console.Error);

    /// <summary>Reads the settings from <paramref name="env"/>; each unusable value is reported on <paramref name="warnings"/>.</summary>
    public static NablaSettings FromEnvironment(Func<string, string?> env, TextWriter? warnings = null)
    {
        var s = new NablaSettings();
        int Int(string name, int fallback, int min, int max)
        {
            var text = env(name);
            if (string.IsNullOrWhiteSpace(text)) return fallback;
            if (int.TryParse(text, out int v) && v >= min && v <= max) return v;
            warnings?.WriteLine($"nabla: ignoring {name}='{text}' (expected an integer in [{min}, {max}]); using {fallback}");
            return fallback;
        }
        var kernel = s.GemmKernel;
        var kernelText = env("NABLA_GEMM_KERNEL");
        if (!string.IsNullOrWhiteSpace(kernelText))
        {
            if (!Enum.TryParse(kernelText.Trim(), ignoreCase: true, out GemmKernel k) || !Enum.IsDefined(k))
                warnings?.WriteLine($"nabla: ignoring NABLA_GEMM_KERNEL='{kernelText}' (expected avx512, avx2 or portable); using {kernel}");
            else if (!IsSupported(k))
                warnings?.WriteLine($"nabla: ignoring NABLA_GEMM_KERNEL='{kernelText}': this CPU does not run it; using {kernel}");
            else kernel = k;
        }
        var conv = s.Conv;
        var convText = env("NABLA_CONV");
        if (!string.IsNullOrWhiteSpace(convText) && !Enum.TryParse(convText.Trim(), ignoreCase: true, out conv))
        {
            warnings?.WriteLine($"nabla: ignoring NABLA_CONV='{convText}' (expected auto or im2col); using auto");
            conv = ConvAlgorithm.Auto;
        }
        int kc = Int("NABLA_GEMM_KC", 0, 1, 1 << 16);
        return s with
        {
            Threads = Int("NABLA_THREADS", s.Threads, 1, 256),
            GemmKernel = kernel,
            GemmKc = kc > 0 ? kc : null,
            GemmMc = Int("NABLA_GEMM_MC", s.GemmMc, 1, 1 << 16),
            GemmBFloats = Int("NABLA_GEMM_BFLOATS", s.GemmBFloats, 1024, 1 << 28),
            GemmDirectBRows = Int("NABLA_GEMM_DIRECTB_ROWS", s.GemmDirectBRows, 0, 1 << 16),
            SpinMicroseconds = Int("NABLA_SPIN_US", s.SpinMicroseconds, 0, 1_000_000),
            ConvChunkFloats = Int("NABLA_CONV_CHUNK", (int)s.ConvChunkFloats, 1024, 1 << 30),
            Conv = conv,
        };
    }
}
