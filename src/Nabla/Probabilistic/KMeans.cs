namespace Nabla.Probabilistic;

/// <summary>
/// k-means clustering used to initialise mixtures: greedy k-means++ seeding (as scikit-learn: each new
/// centre is the best of 2 + ⌊ln K⌋ candidates drawn with probability ∝ D(x)², the squared distance to the
/// nearest chosen centre), then Lloyd iterations (assign each point to its nearest centre, move each centre
/// to the mean of its points) until no centre moves by more than tol (relative to the data's variance).
/// </summary>
public static class KMeans
{
    /// <summary>Result: centres (K×d) and the label of each point.</summary>
    public sealed record Result(double[,] Centers, int[] Labels, int Iterations, double Inertia);

    /// <summary>k-means++ seeding: the indices of K points chosen as initial centres.</summary>
    public static int[] PlusPlusSeeds(double[,] x, int k, Generator gen)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        if (k < 1 || k > n) throw new ArgumentException($"KMeans.PlusPlusSeeds: k = {k} must be in [1, number of points = {n}]", nameof(k));
        var flat = Flatten(x);
        var seeds = new int[k];
        var closest = new double[n];
        int trials = 2 + (int)Math.Log(k);
        seeds[0] = gen.NextInt(0, n);
        for (int i = 0; i < n; i++) closest[i] = Dist2(flat, d, i, seeds[0]);
        for (int c = 1; c < k; c++)
        {
            double pot = Sum(closest);
            int best = -1; double bestPot = double.PositiveInfinity;
            for (int t = 0; t < trials; t++)
            {
                int idx = SampleIndex(closest, pot, gen);
                double p = 0;
                for (int i = 0; i < n; i++) p += Math.Min(closest[i], Dist2(flat, d, i, idx));
                if (p < bestPot) { bestPot = p; best = idx; }
            }
            seeds[c] = best;
            for (int i = 0; i < n; i++) closest[i] = Math.Min(closest[i], Dist2(flat, d, i, best));
        }
        return seeds;
    }

    /// <summary>k-means: k-means++ seeds, then at most <paramref name="maxIter"/> Lloyd iterations.</summary>
    public static Result Fit(double[,] x, int k, Generator gen, int maxIter = 300, double tol = 1e-4)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var seeds = PlusPlusSeeds(x, k, gen);
        var centers = new double[k * d];
        for (int c = 0; c < k; c++) for (int j = 0; j < d; j++) centers[c * d + j] = x[seeds[c], j];
        return Lloyd(x, centers, k, maxIter, tol);
    }

    /// <summary>Lloyd iterations from the given centres (k×d, row-major; updated in place).</summary>
    public static Result Lloyd(double[,] x, double[] centers, int k, int maxIter = 300, double tol = 1e-4)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var flat = Flatten(x);
        // tol is relative to the mean per-feature variance of the data (as scikit-learn)
        double varSum = 0;
        for (int j = 0; j < d; j++)
        {
            double m = 0, s = 0;
            for (int i = 0; i < n; i++) m += flat[i * d + j];
            m /= n;
            for (int i = 0; i < n; i++) { double t = flat[i * d + j] - m; s += t * t; }
            varSum += s / n;
        }
        double absTol = tol * varSum / d;
        var labels = new int[n];
        var sums = new double[k * d];
        var counts = new int[k];
        int it = 0;
        for (; it < maxIter; it++)
        {
            Assign(flat, n, d, centers, k, labels);
            Array.Clear(sums); Array.Clear(counts);
            for (int i = 0; i < n; i++)
            {
                int c = labels[i]; counts[c]++;
                for (int j = 0; j < d; j++) sums[c * d + j] += flat[i * d + j];
            }
            double shift = 0;
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0) continue; // an empty cluster keeps its centre
                for (int j = 0; j < d; j++)
                {
                    double nv = sums[c * d + j] / counts[c];
                    double t = nv - centers[c * d + j];
                    shift += t * t;
                    centers[c * d + j] = nv;
                }
            }
            if (shift <= absTol) { it++; break; }
        }
        double inertia = Assign(flat, n, d, centers, k, labels);
        var cm = new double[k, d];
        for (int c = 0; c < k; c++) for (int j = 0; j < d; j++) cm[c, j] = centers[c * d + j];
        return new Result(cm, labels, it, inertia);
    }

    /// <summary>Labels each point with its nearest centre; returns the total squared distance.</summary>
    internal static double Assign(double[] flat, int n, int d, double[] centers, int k, int[] labels)
    {
        const int Chunk = 8192;
        int chunks = (n + Chunk - 1) / Chunk;
        var part = new double[chunks];
        Nabla.Kernels.WorkerPool.For(chunks, (double)n * k * d, Nabla.Kernels.ParallelThresholds.DoubleWork, ch =>
        {
            int end = Math.Min(n, (ch + 1) * Chunk);
            double s = 0;
            for (int i = ch * Chunk; i < end; i++)
            {
                var xi = flat.AsSpan(i * d, d);
                int best = 0; double bd = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    var cc = centers.AsSpan(c * d, d);
                    double t = 0;
                    for (int j = 0; j < d; j++) { double u = xi[j] - cc[j]; t += u * u; }
                    if (t < bd) { bd = t; best = c; }
                }
                labels[i] = best; s += bd;
            }
            part[ch] = s;
        });
        double tot = 0;
        foreach (var p in part) tot += p;
        return tot;
    }

    static int SampleIndex(double[] weights, double total, Generator gen)
    {
        double u = gen.NextDouble() * total, acc = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            acc += weights[i];
            if (u < acc) return i;
        }
        for (int i = weights.Length - 1; i >= 0; i--) if (weights[i] > 0) return i;
        return gen.NextInt(0, weights.Length); // all points coincide with the chosen centres
    }

    static double Dist2(double[] flat, int d, int i, int j)
    {
        double s = 0;
        for (int t = 0; t < d; t++) { double u = flat[i * d + t] - flat[j * d + t]; s += u * u; }
        return s;
    }

    static double Sum(double[] a) { double s = 0; foreach (var v in a) s += v; return s; }

    internal static double[] Flatten(double[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var f = new double[n * d];
        Buffer.BlockCopy(x, 0, f, 0, n * d * sizeof(double));
        return f;
    }
}
