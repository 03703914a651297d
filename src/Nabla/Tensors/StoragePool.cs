namespace Nabla;

/// <summary>
/// Float arrays kept for reuse by exact length (see <see cref="TensorScope"/>). New arrays are allocated on the
/// pinned object heap: they are long-lived by design, so the GC never copies them during compaction. The pool holds
/// at most <see cref="CapacityBytes"/>; arrays returned beyond that are left to the GC, and at each full (gen 2)
/// collection the lengths nobody rented during the last two full-collection periods are dropped, so a finished
/// job's arrays do not stay.
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

    /// <summary>Drops the buckets not rented from in this epoch or the one before, and starts a new epoch.</summary>
    static void Trim()
    {
        lock (buckets)
        {
            foreach (var (length, b) in buckets.ToArray())
                if (epoch - b.Epoch >= 2)
                {
                    heldBytes -= 4L * length * b.Free.Count;
                    buckets.Remove(length);
                }
            epoch++;
        }
    }

    /// <summary>An object whose finalizer runs after collections (it re-registers itself) and trims the pool once per
    /// full collection.</summary>
    sealed class Trimmer
    {
        int fullCollections = GC.CollectionCount(2);

        ~Trimmer()
        {
            if (Environment.HasShutdownStarted) return;
            int n = GC.CollectionCount(2);
            if (n != fullCollections) { fullCollections = n; Trim(); }
            GC.ReRegisterForFinalize(this);
        }
    }
}
