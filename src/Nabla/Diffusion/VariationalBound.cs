using Nabla.NN;
using Nabla.Models;

namespace Nabla.Diffusion;

/// <summary>The variational bound of one image in nats: L = L_prior + Σ_{t≥1} L_t + L_0 (0-based t), and in bits/dim.</summary>
/// <param name="Prior">KL(q(x_T | x_0) ‖ N(0, I)).</param>
/// <param name="Terms">L_t for t = 0 … T−1: L_0 = −log p_θ(x_0 | x_1) (decoder), L_t = KL(q(x_{t−1}|x_t,x_0) ‖ p_θ(x_{t−1}|x_t)).</param>
/// <param name="Dims">D, the number of dimensions of the image.</param>
public sealed record VlbTerms(double Prior, double[] Terms, int Dims)
{
    public double Total => Prior + Terms.Sum();
    public double BitsPerDim => DiscretizedGaussian.BitsPerDim(Total, Dims);
}

/// <summary>An unbiased estimate of the mean bits/dim over images from K random timesteps each, with its standard error.</summary>
public readonly record struct VlbEstimate(double BitsPerDim, double StandardError, int Images, int TimestepsPerImage);

/// <summary>
/// The DDPM variational bound (Ho et al. 2020, eq. 5; terms as Nichol &amp; Dhariwal 2021, §2) of 8-bit images x_0 on
/// the grid 2k/255 − 1, with p_θ(x_{t−1} | x_t) = N(μ_θ, σ_t² I), μ_θ = μ̃_t(x_t, x̂_0) (x̂_0 from the network's output by
/// its objective, clipped to [−1, 1] when asked) and σ_t² = β̃_t ("fixed small") or β_t ("fixed large"), σ_0² = β̃_1 in
/// both (the clipped log-variance of Nichol &amp; Dhariwal's code). Per image, with x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε:
/// <list type="bullet">
/// <item>L_prior = Σ_j ½(v + m_j² − 1 − ln v), m = √ᾱ_{T−1} x_0, v = 1 − ᾱ_{T−1};</item>
/// <item>L_t (t ≥ 1) = Σ_j ½(ln σ_t² − ln β̃_t + (β̃_t + (μ̃_t − μ_θ)_j²)/σ_t² − 1);</item>
/// <item>L_0 = −Σ_j log P_j with the discretized Gaussian of <see cref="DiscretizedGaussian"/> (mean μ_θ(x_1, 0), std σ_0).</item>
/// </list>
/// <see cref="Exact"/> sums every t (T network calls per image, one ε draw per term: unbiased for each L_t);
/// <see cref="Estimate"/> uses L ≈ L_prior + (T/K) Σ_k L_{t_k}, t_k ~ U{0 … T−1}.
/// </summary>
public sealed class VariationalBound
{
    public DiffusionPipeline Pipeline { get; }
    public bool ClipX0 { get; }
    public bool UseBetaVariance { get; }
    /// <summary>Rows per network call.</summary>
    public int BatchSize { get; }

    public VariationalBound(DiffusionPipeline pipeline, bool clipX0 = true, bool useBetaVariance = false, int batchSize = 250)
    {
        Pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"VariationalBound: batchSize must be ≥ 1, got {batchSize}");
        ClipX0 = clipX0; UseBetaVariance = useBetaVariance; BatchSize = batchSize;
        abar64 = new double[pipeline.Schedule.T];
        double ab = 1;
        for (int t = 0; t < abar64.Length; t++) abar64[t] = ab *= 1 - pipeline.Schedule.Beta64(t);
    }

    readonly double[] abar64;   // ᾱ_t in float64 for the bound's coefficients (x̂_0 uses the schedule's float32 ᾱ, as the samplers)

    NoiseSchedule S => Pipeline.Schedule;

    /// <summary>σ_t² of p_θ(x_{t−1} | x_t) (σ_0² = β̃_1).</summary>
    public double ModelVariance(int t)
    {
        if (t == 0) return PosteriorVariance(1);
        return UseBetaVariance ? S.Beta64(t) : PosteriorVariance(t);
    }

    double AlphaBar(int t) => t < 0 ? 1.0 : abar64[t];
    double PosteriorVariance(int t) => (1 - AlphaBar(t - 1)) / (1 - AlphaBar(t)) * S.Beta64(t);

    /// <summary>KL(N(m1, v1) ‖ N(m2, v2)) of one dimension, in nats.</summary>
    public static double GaussianKl(double m1, double v1, double m2, double v2) => 0.5 * (Math.Log(v2 / v1) + (v1 + (m1 - m2) * (m1 - m2)) / v2 - 1);

    /// <summary>L_prior of one image (nats).</summary>
    public double PriorTerm(ReadOnlySpan<float> x0)
    {
        double ab = AlphaBar(S.T - 1), v = 1 - ab, a = Math.Sqrt(ab), s = 0;
        foreach (var x in x0) s += GaussianKl(a * x, v, 0, 1);
        return s;
    }

    /// <summary>L_t (nats) of one image given x_t and the network's output at (x_t, t).</summary>
    public double Term(int t, ReadOnlySpan<float> x0, ReadOnlySpan<float> xt, ReadOnlySpan<float> output)
    {
        S.CheckStep(t, "VariationalBound.Term");
        double ab = AlphaBar(t), abPrev = AlphaBar(t - 1), beta = S.Beta64(t);
        var (px, po) = PredictionMath.X0Coefficients(Pipeline.Prediction, S.AlphaBars[t]);
        double cx0 = Math.Sqrt(abPrev) * beta / (1 - ab), cxt = Math.Sqrt(1 - beta) * (1 - abPrev) / (1 - ab);
        double v = ModelVariance(t);
        var mean = new double[x0.Length];
        for (int j = 0; j < x0.Length; j++)
        {
            double x0h = px * xt[j] + po * output[j];
            if (ClipX0) x0h = Math.Clamp(x0h, -1, 1);
            mean[j] = cx0 * x0h + cxt * xt[j];
        }
        if (t == 0) return -DiscretizedGaussian.LogLikelihood(x0, mean, Math.Sqrt(v));
        double vq = PosteriorVariance(t), s = 0;
        for (int j = 0; j < x0.Length; j++) s += GaussianKl(cx0 * x0[j] + cxt * xt[j], vq, mean[j], v);
        return s;
    }

    /// <summary>Every term of every image x_0 [N, …] (on the 8-bit grid) with labels (conditional models; null = unconditional); ε per (image, t) from <paramref name="gen"/>.</summary>
    public VlbTerms[] Exact(Tensor x0, int[]? labels, Generator gen, CancellationToken cancellation = default, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(gen);
        return Exact(x0, labels, (rows, per) => { var e = new float[rows * per]; gen.FillNormal(e); return e; }, cancellation, progress);
    }

    /// <summary>As <see cref="Exact(Tensor, int[], Generator, CancellationToken, Action{int, int})"/> with the noise given: <paramref name="noise"/>(rows, D) returns rows·D normals, called once per network call in row order (image-major, then t).</summary>
    public VlbTerms[] Exact(Tensor x0, int[]? labels, Func<int, int, float[]> noise, CancellationToken cancellation = default, Action<int, int>? progress = null)
    {
        int n = Check(x0, labels), T = S.T;
        var pairs = new List<(int img, int t)>(n * T);
        for (int i = 0; i < n; i++) for (int t = 0; t < T; t++) pairs.Add((i, t));
        var terms = Evaluate(x0, labels, pairs, noise, cancellation, progress);
        int per = x0.Size / n;
        var result = new VlbTerms[n];
        for (int i = 0; i < n; i++)
        {
            var row = new double[T];
            for (int t = 0; t < T; t++) row[t] = terms[i * T + t];
            result[i] = new VlbTerms(PriorTerm(x0.Data.Slice(i * per, per)), row, per);
        }
        return result;
    }

    /// <summary>Mean bits/dim over the images from K = <paramref name="timestepsPerImage"/> ≥ 2 random t each, and its standard error √(Σ_i s_i²/K)/N.</summary>
    public VlbEstimate Estimate(Tensor x0, int[]? labels, int timestepsPerImage, Generator gen, CancellationToken cancellation = default, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(gen);
        if (timestepsPerImage < 2) throw new ArgumentOutOfRangeException(nameof(timestepsPerImage), $"VariationalBound.Estimate: need at least 2 timesteps per image for a standard error, got {timestepsPerImage}");
        int n = Check(x0, labels), K = timestepsPerImage, T = S.T, per = x0.Size / n;
        var ts = new int[n * K];
        gen.FillInt(ts, 0, T);
        var pairs = new List<(int, int)>(n * K);
        for (int i = 0; i < n; i++) for (int k = 0; k < K; k++) pairs.Add((i, ts[i * K + k]));
        var terms = Evaluate(x0, labels, pairs, (rows, d) => { var e = new float[rows * d]; gen.FillNormal(e); return e; }, cancellation, progress);
        double toBits = 1 / (per * Math.Log(2)), mean = 0, varSum = 0;
        for (int i = 0; i < n; i++)
        {
            double prior = PriorTerm(x0.Data.Slice(i * per, per)), m = 0, m2 = 0;
            for (int k = 0; k < K; k++) { double v = T * terms[i * K + k] * toBits; m += v; m2 += v * v; }
            m /= K;
            double s2 = (m2 - K * m * m) / (K - 1);
            mean += prior * toBits + m;
            varSum += Math.Max(s2, 0) / K;
        }
        return new VlbEstimate(mean / n, Math.Sqrt(varSum) / n, n, K);
    }

    int Check(Tensor x0, int[]? labels)
    {
        ArgumentNullException.ThrowIfNull(x0);
        var shape = Pipeline.SampleShape;
        if (x0.Rank != shape.Count + 1 || x0.Dim(0) < 1 || Enumerable.Range(0, shape.Count).Any(k => x0.Dim(k + 1) != shape[k]))
            throw new ArgumentException($"VariationalBound: images {ShapeMath.Format(x0.Shape)} must be [N ≥ 1, {string.Join(", ", shape)}]");
        foreach (var v in x0.Data)
        {
            double k = (v + 1) * 127.5;
            if (Math.Abs(k - Math.Round(k)) > 1e-3 || k < -1e-3 || k > 255.001)
                throw new ArgumentException($"VariationalBound: value {v} is not on the 8-bit grid 2k/255 − 1 (convert with DiscretizedGaussian.FromUnitInterval)");
        }
        if (labels != null && labels.Length != x0.Dim(0)) throw new ArgumentException($"VariationalBound: {labels.Length} labels for {x0.Dim(0)} images");
        return x0.Dim(0);
    }

    /// <summary>The terms L_t of the (image, t) pairs, BatchSize rows per network call.</summary>
    double[] Evaluate(Tensor x0, int[]? labels, List<(int img, int t)> pairs, Func<int, int, float[]> noise, CancellationToken ct, Action<int, int>? progress)
    {
        int n = x0.Dim(0), per = x0.Size / n;
        var result = new double[pairs.Count];
        var shape = new int[x0.Rank];
        for (int k = 1; k < x0.Rank; k++) shape[k] = x0.Dim(k);
        using var _ = Tensor.NoGrad();
        using var frozen = FrozenWeights.Begin();
        for (int start = 0; start < pairs.Count; start += BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = TensorScope.Begin();
            int b = Math.Min(BatchSize, pairs.Count - start);
            var eps = noise(b, per);
            if (eps.Length != b * per) throw new ArgumentException($"VariationalBound: the noise source returned {eps.Length} values for {b}×{per}");
            var xt = new float[b * per]; var tt = new float[b]; var lab = new float[b];
            for (int r = 0; r < b; r++)
            {
                var (img, t) = pairs[start + r];
                float a = S.SqrtAlphaBars[t], s = S.SqrtOneMinusAlphaBars[t];
                var src = x0.Data.Slice(img * per, per);
                for (int j = 0; j < per; j++) xt[r * per + j] = a * src[j] + s * eps[r * per + j];
                tt[r] = t;
                lab[r] = labels != null ? labels[img] : Pipeline.NullLabel;
            }
            shape[0] = b;
            var output = Pipeline.Model(new Tensor(xt, shape), new Tensor(tt, b), Pipeline.NumClasses > 0 ? new Tensor(lab, b) : null);
            var od = output.Data;
            for (int r = 0; r < b; r++)
            {
                var (img, t) = pairs[start + r];
                result[start + r] = Term(t, x0.Data.Slice(img * per, per), xt.AsSpan(r * per, per), od.Slice(r * per, per));
            }
            progress?.Invoke(start + b, pairs.Count);
        }
        return result;
    }
}
