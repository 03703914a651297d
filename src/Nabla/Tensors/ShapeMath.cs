namespace Nabla;

/// <summary>Shape arithmetic: sizes, strides, axis normalisation and NumPy broadcasting.</summary>
public static class ShapeMath
{
    /// <summary>Number of elements of a shape (1 for a scalar). Throws on negative or overflowing sizes.</summary>
    public static int Size(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape {Format(shape)} has a negative dimension");
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentException($"shape {Format(shape)} has {n}+ elements, more than a tensor can hold");
        }
        return (int)n;
    }

    /// <summary>Row-major strides (in elements).</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Formats a shape as [2, 3, 4].</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Maps a possibly negative axis into [0, rank); throws naming the op when out of range.</summary>
    public static int NormalizeAxis(int axis, int rank, string op)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for a tensor of rank {rank}");
        return a;
    }

    /// <summary>Maps a possibly negative axis of a tensor of <paramref name="shape"/> into [0, rank); the message names the op and the shape.</summary>
    public static int NormalizeAxis(int axis, int[] shape, string op)
    {
        int rank = shape.Length, a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for a tensor of shape {Format(shape)} (rank {rank})");
        return a;
    }

    /// <summary>The NumPy broadcast of two shapes; throws naming the op and both shapes when incompatible.</summary>
    public static int[] Broadcast(int[] a, int[] b, string op)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            int db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /// <summary>Strides of <paramref name="shape"/> seen through the broadcast shape <paramref name="target"/> (0 on broadcast dims).</summary>
    public static int[] BroadcastStrides(int[] shape, int[] target)
    {
        var st = Strides(shape);
        var o = new int[target.Length];
        int off = target.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++) o[i + off] = shape[i] == 1 ? 0 : st[i];
        return o;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
