namespace Nabla.Diffusion;

/// <summary>
/// One reverse step of a sampler, row by row: row i of a batch goes from its own timestep t_i to its own s_i &lt; t_i
/// (s_i = −1 is clean data, ᾱ = 1), so rows of different requests at different points of their chains can share one
/// model call (continuous batching). With α = √ᾱ, σ = √(1 − ᾱ) at t_i and α', σ' at s_i, and the network's raw
/// output converted by <see cref="PredictionMath"/> to x̂_0 (clipped to [−1, 1] when <see cref="ClipX0"/>) and
/// ε̂ (recomputed from the clipped x̂_0 as ε̂ = (x − α x̂_0)/σ when clipping):
/// <list type="bullet">
/// <item>DDIM / Euler / ancestral: x' = α' x̂_0 + √(1 − α'² − ς²) ε̂ + ς z, ς = η √((1 − ᾱ')/(1 − ᾱ)) √(1 − ᾱ/ᾱ'),
///   η = <see cref="Eta"/> for DDIM, 0 for Euler, 1 for ancestral (ς² is then the posterior variance β̃).</item>
/// <item>DPM-Solver++(2M): λ = log(α/σ), h = λ' − λ; with the row's previous x̂_0 (at timestep p_i, h₋ = λ − λ_p,
///   r = h₋/h): D = (1 + 1/(2r)) x̂_0 − 1/(2r) x̂_0,prev, else D = x̂_0 (first order, = DDIM);
///   x' = (σ'/σ) x + (α' − α σ'/σ)·D (α'(1 − e^{−h}) written without logs). The step to s = −1 is first order
///   (lower-order final step; it returns x̂_0).</item>
/// </list>
/// A caller keeps, per row, the x̂_0 this step returns and its timestep, and passes them as
/// <c>prevX0</c>/<c>tPrev</c> to the row's next step (−1 = none: the first step); only DPM-Solver++ reads them.
/// Noise z is drawn only for rows with ς &gt; 0: one draw of their normals in batch order from one generator, or each row's from its own.
/// The returned tensors live in the caller's <see cref="TensorScope"/> (copy or <c>Keep</c> them to keep them).
/// </summary>
public sealed class ReverseStep
{
    public NoiseSchedule Schedule { get; }
    public SamplerKind Kind { get; }
    /// <summary>What the network's output means.</summary>
    public Prediction Prediction { get; }
    /// <summary>Clip x̂_0 to [−1, 1] (the data range) and recompute ε̂ from it.</summary>
    public bool ClipX0 { get; }
    /// <summary>DDIM noise scale η ∈ [0, 1] (ignored by the other kinds).</summary>
    public float Eta { get; }
    /// <summary>True when the step reads the row's previous x̂_0 (DPM-Solver++(2M)).</summary>
    public bool UsesHistory => Kind == SamplerKind.DpmSolverPP2M;

    public ReverseStep(NoiseSchedule schedule, SamplerKind kind, Prediction prediction = Prediction.Epsilon, bool clipX0 = true, float eta = 0f)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        if (!Enum.IsDefined(kind)) throw new ArgumentException($"ReverseStep: unknown sampler {kind}");
        if (!Enum.IsDefined(prediction)) throw new ArgumentException($"ReverseStep: unknown prediction {prediction}");
        if (!(eta >= 0 && eta <= 1)) throw new ArgumentOutOfRangeException(nameof(eta), $"ReverseStep: eta must be in [0, 1], got {eta}");
        Kind = kind; Prediction = prediction; ClipX0 = clipX0; Eta = eta;
    }

    double AlphaBar(int t) => t < 0 ? 1.0 : Schedule.AlphaBars[t];

    /// <summary>One step of every row; noise from <paramref name="gen"/> (rows in order). Returns x' and x̂_0 (the history for the next step).</summary>
    public (Tensor XNext, Tensor X0Hat) Step(Tensor x, Tensor output, int[] t, int[] tNext, Generator gen, Tensor? prevX0 = null, int[]? tPrev = null)
    {
        ArgumentNullException.ThrowIfNull(gen);
        return Run(x, output, t, tNext, prevX0, tPrev, null, gen);
    }

    /// <summary>One step of every row, row i's noise from <paramref name="rowGenerators"/>[i] (reproducible per request whatever the batch).</summary>
    public (Tensor XNext, Tensor X0Hat) Step(Tensor x, Tensor output, int[] t, int[] tNext, IReadOnlyList<Generator> rowGenerators, Tensor? prevX0 = null, int[]? tPrev = null)
    {
        ArgumentNullException.ThrowIfNull(rowGenerators);
        if (rowGenerators.Count != t?.Length) throw new ArgumentException($"ReverseStep: {rowGenerators.Count} row generators for {t?.Length} rows");
        return Run(x, output, t!, tNext, prevX0, tPrev, rowGenerators, null);
    }

    double Sigma(double a2, double n2) =>
        Kind switch { SamplerKind.Ddim => Eta, SamplerKind.Ancestral => 1, _ => 0 } * Math.Sqrt((1 - n2) / (1 - a2) * (1 - a2 / n2));

    (Tensor, Tensor) Run(Tensor x, Tensor output, int[] t, int[] tNext, Tensor? prevX0, int[]? tPrev, IReadOnlyList<Generator>? rowGens, Generator? gen)
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(output); ArgumentNullException.ThrowIfNull(t); ArgumentNullException.ThrowIfNull(tNext);
        int b = t.Length;
        if (x.Rank < 1 || x.Dim(0) != b) throw new ArgumentException($"ReverseStep: x {ShapeMath.Format(x.Shape)} needs {b} rows (one per timestep)");
        if (!ShapeMath.Equal(x.shape, output.shape)) throw new ArgumentException($"ReverseStep: output {ShapeMath.Format(output.Shape)} must have the shape of x {ShapeMath.Format(x.Shape)}");
        if (tNext.Length != b) throw new ArgumentException($"ReverseStep: {tNext.Length} next timesteps for {b} rows");
        if (tPrev != null && tPrev.Length != b) throw new ArgumentException($"ReverseStep: {tPrev.Length} previous timesteps for {b} rows");
        bool history = UsesHistory && tPrev != null && tPrev.Any(p => p >= 0);
        if (history && (prevX0 == null || !ShapeMath.Equal(prevX0.shape, x.shape)))
            throw new ArgumentException($"ReverseStep: rows with a previous timestep need prevX0 of shape {ShapeMath.Format(x.Shape)}");
        for (int i = 0; i < b; i++)
        {
            Schedule.CheckStep(t[i], "ReverseStep");
            if (tNext[i] < -1 || tNext[i] >= t[i]) throw new ArgumentOutOfRangeException(nameof(tNext), $"ReverseStep: row {i}: next timestep {tNext[i]} must be in [−1, {t[i]})");
            if (history && tPrev![i] >= 0 && tPrev[i] <= t[i]) throw new ArgumentOutOfRangeException(nameof(tPrev), $"ReverseStep: row {i}: previous timestep {tPrev[i]} must be above {t[i]}");
        }
        int per = x.Size / Math.Max(b, 1);
        var x0 = PredictionMath.CombineRows(x, output, i => PredictionMath.X0Coefficients(Prediction, AlphaBar(t[i])));
        if (ClipX0) { var d = x0.data; for (int k = 0; k < d.Length; k++) d[k] = Math.Clamp(d[k], -1f, 1f); }
        var o = TensorScope.Uninit(x.Size);
        // noise: one draw of per·(rows with ς > 0) normals from gen (row order), or per row from its own generator
        float[]? z = null;
        if (Kind != SamplerKind.DpmSolverPP2M)
        {
            int noisy = 0;
            for (int i = 0; i < b; i++) if (Sigma(AlphaBar(t[i]), AlphaBar(tNext[i])) > 0) noisy++;
            if (noisy > 0)
            {
                z = TensorScope.Uninit(noisy * per);
                if (gen != null) gen.FillNormal(z);
                else for (int i = 0, k = 0; i < b; i++)
                        if (Sigma(AlphaBar(t[i]), AlphaBar(tNext[i])) > 0) rowGens![i].FillNormal(z.AsSpan(k++ * per, per));
            }
        }
        int zi = 0;
        for (int i = 0; i < b; i++)
        {
            double a2 = AlphaBar(t[i]), n2 = AlphaBar(tNext[i]);
            double a = Math.Sqrt(a2), s = Math.Sqrt(1 - a2), an = Math.Sqrt(n2), sn = Math.Sqrt(1 - n2);
            var rx = x.data.AsSpan(i * per, per); var ro = output.data.AsSpan(i * per, per);
            var r0 = x0.data.AsSpan(i * per, per); var rn = o.AsSpan(i * per, per);
            if (Kind == SamplerKind.DpmSolverPP2M)
            {
                float cx = (float)(sn / s), cd = (float)(an - a * sn / s);
                double ap2 = history && tPrev![i] >= 0 ? AlphaBar(tPrev[i]) : 0;
                if (tNext[i] >= 0 && ap2 > 0 && a2 > 0)
                {
                    double lam = Lambda(a2), h = Lambda(n2) - lam, r = (lam - Lambda(ap2)) / h;
                    float c1 = (float)(1 + 1 / (2 * r)), c2 = (float)(1 / (2 * r));
                    var rp = prevX0!.data.AsSpan(i * per, per);
                    for (int j = 0; j < per; j++) rn[j] = cx * rx[j] + cd * (c1 * r0[j] - c2 * rp[j]);
                }
                else for (int j = 0; j < per; j++) rn[j] = cx * rx[j] + cd * r0[j];
                continue;
            }
            double sigma = Sigma(a2, n2);
            float fx = (float)an, fe = (float)Math.Sqrt(Math.Max(0, 1 - n2 - sigma * sigma)), fs = (float)sigma;
            if (ClipX0)
            {   // ε̂ = (x − α x̂_0)/σ from the clipped x̂_0
                float ex = (float)(1 / s), e0 = (float)(-a / s);
                for (int j = 0; j < per; j++) rn[j] = fx * r0[j] + fe * (ex * rx[j] + e0 * r0[j]);
            }
            else
            {
                var (pe, qe) = PredictionMath.EpsCoefficients(Prediction, a2);
                float ex = (float)pe, eo = (float)qe;
                for (int j = 0; j < per; j++) rn[j] = fx * r0[j] + fe * (ex * rx[j] + eo * ro[j]);
            }
            if (sigma > 0)
            {
                var rz = z.AsSpan(zi++ * per, per);
                for (int j = 0; j < per; j++) rn[j] += fs * rz[j];
            }
        }
        return (new Tensor(o, x.shape), x0);
    }

    /// <summary>λ = log(α/σ) = ½ log(ᾱ/(1 − ᾱ)).</summary>
    public static double Lambda(double alphaBar) => 0.5 * Math.Log(alphaBar / (1 - alphaBar));
}
