namespace Nabla.Probabilistic;

/// <summary>Checks and layouts for n×d double data matrices (one point per row) used by the probabilistic models.</summary>
internal static class DataMatrix
{
    /// <summary>Throws naming the row and column of the first NaN or ±∞ entry.</summary>
    public static void CheckFinite(double[,] x, string who)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                if (!double.IsFinite(x[i, j]))
                    throw new ArgumentException($"{who}: the data has a non-finite value ({x[i, j]}) at row {i}, column {j}", "x");
    }

    /// <summary>Feature-major copy: xt[j·n + i] = x[i, j] (the layout the vectorized kernels run over).</summary>
    public static double[] Transpose(double[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var xt = GC.AllocateUninitializedArray<double>(n * d);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                xt[j * n + i] = x[i, j];
        return xt;
    }

    /// <summary>Feature-major copy of a row-major n×d buffer.</summary>
    public static double[] Transpose(ReadOnlySpan<double> x, int n, int d)
    {
        var xt = GC.AllocateUninitializedArray<double>(n * d);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                xt[j * n + i] = x[i * d + j];
        return xt;
    }

    public static void CheckNotEmpty(double[,] x, string who)
    {
        if (x.GetLength(0) == 0 || x.GetLength(1) == 0)
            throw new ArgumentException($"{who}: the data is empty ({x.GetLength(0)}×{x.GetLength(1)})", "x");
    }
}
