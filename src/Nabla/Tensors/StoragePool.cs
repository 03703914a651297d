namespace Nabla;

/// <summary>
/// Float arrays kept for reuse by exact length (see <see cref="TensorScope"/>). New arrays are allocated on the
/// pinned object heap: they are long-lived by design, so the GC never copies them during compaction. The pool holds
/// at most <see cref="CapacityBytes"/>; arrays returned beyond that are left to the GC.
/// </summary>
internal static class StoragePool
{
    /// <summary>At most a quarter of the memory available to the process, and at most 8 GiB.</summary>
    internal static readonly long CapacityBytes =
        Math.Min(8L << 30, Math.Max(256L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4));

    static readonly Dictionary<int, Stack<float[]>> free = new();
    static long heldBytes, misses;

    /// <summary>Arrays allocated because none of the length was free.</summary>
    internal static long Misses => Interlocked.Read(ref misses);

    public static float[] Rent(int length, bool clear)
    {
        float[]? a = null;
        lock (free)
        {
            if (free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                a = stack.Pop();
                heldBytes -= 4L * length;
            }
        }
        if (a == null) { Interlocked.Increment(ref misses); return GC.AllocateArray<float>(length, pinned: true); }  // zero-filled
        if (clear) Array.Clear(a);
        return a;
    }

    public static void Return(float[] a)
    {
        lock (free)
        {
            if (heldBytes + 4L * a.Length > CapacityBytes) return;
            if (!free.TryGetValue(a.Length, out var stack)) free[a.Length] = stack = new Stack<float[]>();
            stack.Push(a);
            heldBytes += 4L * a.Length;
        }
    }

    /// <summary>Drops every pooled array (for tests and for callers that finished a large job).</summary>
    public static void Clear()
    {
        lock (free) { free.Clear(); heldBytes = 0; }
    }

    internal static long HeldBytes { get { lock (free) return heldBytes; } }
}
