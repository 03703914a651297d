using System.Runtime.CompilerServices;

namespace Nabla;

/// <summary>
/// A seeded, counter-based random generator: draw number n is a pure function of (seed, n)
/// (SplitMix64's mixer over a Weyl sequence), so results are identical on every machine and thread count,
/// any range can be filled in parallel, and the whole state is two integers (<see cref="Seed"/>, <see cref="Offset"/>)
/// that checkpoints store for an exact resume.
/// </summary>
public sealed class Generator
{
    const ulong Gamma = 0x9E3779B97F4A7C15UL;
    /// <summary>The seed this generator was created with.</summary>
    public ulong Seed { get; }
    /// <summary>How many 64-bit draws have been consumed.</summary>
    public ulong Offset { get => Interlocked.Read(ref offset); set => Interlocked.Exchange(ref offset, value); }

    public Generator(ulong seed = 0, ulong offset = 0) { Seed = seed; Offset = offset; }

    /// <summary>
    /// The process-wide generator used where none is passed (layer initialisation, as PyTorch's global RNG).
    /// Reseed it with <see cref="ManualSeed"/> for reproducible models; pass your own generator for isolation.
    /// </summary>
    public static Generator Default { get; private set; } = new(0);

    /// <summary>Replaces <see cref="Default"/> with a fresh generator of the given seed (torch.manual_seed).</summary>
    public static void ManualSeed(ulong seed) => Default = new Generator(seed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ulong At(ulong n) => Mix(Mix(Seed) + (n + 1) * Gamma);

    ulong offset;
    ulong Take(long count) => Interlocked.Add(ref offset, (ulong)count) - (ulong)count;

    /// <summary>Next raw 64-bit value.</summary>
    public ulong NextUInt64() => At(Take(1));
    /// <summary>Uniform double in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
    /// <summary>Uniform integer in [low, high).</summary>
    public int NextInt(int low, int high)
    {
        if (high <= low) throw new ArgumentException($"NextInt: empty range [{low}, {high})");
        return low + (int)(((UInt128)NextUInt64() * (ulong)(high - low)) >> 64);
    }
    /// <summary>Standard normal double (Box–Muller, uses two draws).</summary>
    public double NextNormal()
    {
        var o = Take(2);
        return BoxMuller(At(o), At(o + 1)).z0;
    }

    static float U24(ulong x) => (x >> 40) * (1f / (1 << 24));

    static (double z0, double z1) BoxMuller(ulong a, ulong b)
    {
        double u1 = ((a >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        double u2 = (b >> 11) * (1.0 / (1UL << 53));
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (s, c) = Math.SinCos(2 * Math.PI * u2);
        return (r * c, r * s);
    }

    /// <summary>Fills with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> dst, float low = 0f, float high = 1f)
    {
        var o = Take(dst.Length);
        float w = high - low;
        for (int i = 0; i < dst.Length; i++)
        {
            float v = low + w * U24(At(o + (ulong)i));
            dst[i] = v < high ? v : low; // guard rounding up to high
        }
    }

    /// <summary>Fills with normal values N(mean, std²).</summary>
    public void FillNormal(Span<float> dst, float mean = 0f, float std = 1f)
    {
        long pairs = (dst.Length + 1) / 2;
        var o = Take(2 * pairs);
        for (int i = 0; i < dst.Length; i += 2)
        {
            var (z0, z1) = BoxMuller(At(o + (ulong)i), At(o + (ulong)i + 1));
            dst[i] = (float)(mean + std * z0);
            if (i + 1 < dst.Length) dst[i + 1] = (float)(mean + std * z1);
        }
    }

    /// <summary>Fills with integers uniform in [low, high).</summary>
    public void FillInt(Span<int> dst, int low, int high)
    {
        if (high <= low) throw new ArgumentException($"FillInt: empty range [{low}, {high})");
        var o = Take(dst.Length);
        ulong range = (ulong)((long)high - low);
        for (int i = 0; i < dst.Length; i++) dst[i] = (int)(low + (long)(((UInt128)At(o + (ulong)i) * range) >> 64));
    }

    /// <summary>A random permutation of 0..n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        if (n < 0) throw new ArgumentException($"Permutation: n must be non-negative, got {n}");
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        var o = Take(n);
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(((UInt128)At(o + (ulong)i) * (ulong)(i + 1)) >> 64);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>An independent generator derived from this one's seed and a stream id (for workers or sub-tasks).</summary>
    public Generator Fork(ulong stream) => new(Mix(Seed ^ Mix(stream + 0x632BE59BD9B4E019UL)));
}
