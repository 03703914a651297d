namespace Nabla;

/// <summary>
/// Float arrays kept for reuse by exact length (see <see cref="TensorScope"/>). New arrays are allocated on the
/// pinned object heap: they are long-lived by design, so the GC never copies them during compaction. The pool holds
/// at most <see cref="CapacityBytes"/>; arrays returned beyond that are left to the GC, and after each full (gen 2)
/// collection the lengths nobody rented since the previous one are dropped, so a finished job's arrays do not stay.
/// </summary>
internal static class StoragePool
{
    /// <summary>At most a quarter of the memory available to the process, and at most 8 GiB.</summary>
    internal static readonly long CapacityBytes =
        Math.Min(8L << 30, Math.Max(256L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4));

    sealed class Bucket { public readonly Stack<float[]> Free = new(); public int Epoch; }

    static readonly Dictionary<int, Bucket> buckets = new();
    static long heldBytes;
    static int epoch;

    static StoragePool() => _ = new Trimmer();

    public static float[] Rent(int length, bool clear)
    {
        float[]? a = null;
        lock (buckets)
        {
            if (buckets.TryGetValue(length, out var b))
            {
                b.Epoch = epoch;
                if (b.Free.Count > 0) { a = b.Free.Pop(); heldBytes -= 4L * length; }
            }
        }
        if (a == null) return GC.AllocateArray<float>(length, pinned: true);  // zero-filled
        if (clear) Array.Clear(a);
        return a;
    }

    public static void Return(float[] a)
    {
        lock (buckets)
        {
            if (heldBytes + 4L * a.Length > CapacityBytes) return;
            if (!buckets.TryGetValue(a.Length, out var b)) buckets[a.Length] = b = new Bucket { Epoch = epoch };
            b.Free.Push(a);
            heldBytes += 4L * a.Length;
        }
    }

    /// <summary>Drops the buckets not rented from since the previous full collection, and starts a new epoch.</summary>
    static void Trim()
    {
        lock (buckets)
        {
            foreach (var (length, b) in buckets.ToArray())
                if (b.Epoch != epoch)
                {
                    heldBytes -= 4L * length * b.Free.Count;
                    buckets.Remove(length);
                }
            epoch++;
        }
    }

    /// <summary>An object whose finalizer runs once per gen 2 collection (it re-registers itself) and trims the pool.</summary>
    sealed class Trimmer
    {
        ~Trimmer()
        {
            if (Environment.HasShutdownStarted) return;
            Trim();
            GC.ReRegisterForFinalize(this);
        }
    }
}
