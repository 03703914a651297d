namespace Nabla.NN;

/// <summary>Fan computation modes for Kaiming initialization.</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>
/// Weight initialization as torch.nn.init: each fills a tensor in place (no gradient recorded) from an explicit
/// <see cref="Generator"/> (<see cref="Generator.Default"/> when null) and returns it.
/// Fans: for a weight [out, in, k…] fan_in = in·Πk, fan_out = out·Πk (Linear [out, in]: fan_in = in).
/// </summary>
public static class Init
{
    /// <summary>U(a, b).</summary>
    public static Tensor Uniform(Tensor t, float a = 0f, float b = 1f, Generator? gen = null)
    {
        if (!(b >= a)) throw new ArgumentException($"Init.Uniform: need a ≤ b, got a={a}, b={b}");
        (gen ?? Generator.Default).FillUniform(t.Data, a, b);
        return t;
    }

    /// <summary>N(mean, std²).</summary>
    public static Tensor Normal(Tensor t, float mean = 0f, float std = 1f, Generator? gen = null)
    {
        if (!(std >= 0)) throw new ArgumentException($"Init.Normal: std must be non-negative, got {std}");
        (gen ?? Generator.Default).FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>
    /// N(mean, std²) truncated to [a, b] by redrawing values outside (torch.nn.init.trunc_normal_ gives the same
    /// distribution).
    /// </summary>
    public static Tensor TruncNormal(Tensor t, float mean = 0f, float std = 1f, float a = -2f, float b = 2f, Generator? gen = null)
    {
        if (!(std > 0) || !(b > a)) throw new ArgumentException($"Init.TruncNormal: need std > 0 and a < b, got std={std}, a={a}, b={b}");
        gen ??= Generator.Default;
        var d = t.Data;
        for (int i = 0; i < d.Length; i++)
        {
            int tries = 0;
            double v;
            do { v = mean + std * gen.NextNormal(); }
            while ((v < a || v > b) && ++tries < 1000);
            d[i] = (float)Math.Clamp(v, a, b);
        }
        return t;
    }

    /// <summary>Fills with <paramref name="value"/>.</summary>
    public static Tensor Constant(Tensor t, float value) { t.Data.Fill(value); return t; }
    public static Tensor Zeros(Tensor t) => Constant(t, 0f);
    public static Tensor Ones(Tensor t) => Constant(t, 1f);

    /// <summary>(fan_in, fan_out) of a weight of rank ≥ 2: [out, in, k…] → (in·Πk, out·Πk).</summary>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor t)
    {
        if (t.Rank < 2) throw new ArgumentException($"Init: fan in and fan out need a tensor of at least 2 dimensions, got shape {ShapeMath.Format(t.Shape)}");
        int recept = 1;
        for (int i = 2; i < t.Rank; i++) recept *= t.Dim(i);
        return (t.Dim(1) * recept, t.Dim(0) * recept);
    }

    /// <summary>
    /// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): linear/conv/sigmoid 1, tanh 5/3,
    /// relu √2, leaky_relu √(2/(1 + slope²)) (slope default 0.01), selu 3/4.
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? param = null)
    {
        switch (nonlinearity)
        {
            case "linear": case "conv1d": case "conv2d": case "conv3d": case "conv_transpose1d": case "conv_transpose2d":
            case "conv_transpose3d": case "sigmoid":
                return 1;
            case "tanh": return 5.0 / 3;
            case "relu": return Math.Sqrt(2.0);
            case "leaky_relu":
                double s = param ?? 0.01;
                return Math.Sqrt(2.0 / (1 + s * s));
            case "selu": return 3.0 / 4;
            default: throw new ArgumentException($"Init.CalculateGain: unsupported nonlinearity \"{nonlinearity}\"");
        }
    }

    /// <summary>Glorot uniform: U(−a, a), a = gain·√(6/(fan_in + fan_out)).</summary>
    public static Tensor XavierUniform(Tensor t, double gain = 1, Generator? gen = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(t);
        float a = (float)(gain * Math.Sqrt(6.0 / (fi + fo)));
        return Uniform(t, -a, a, gen);
    }

    /// <summary>Glorot normal: N(0, std²), std = gain·√(2/(fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Tensor t, double gain = 1, Generator? gen = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(t);
        return Normal(t, 0, (float)(gain * Math.Sqrt(2.0 / (fi + fo))), gen);
    }

    static int Fan(Tensor t, FanMode mode)
    {
        var (fi, fo) = CalculateFanInAndFanOut(t);
        return mode == FanMode.FanIn ? fi : fo;
    }

    /// <summary>He uniform: U(−b, b), b = gain·√(3/fan) with gain = CalculateGain(nonlinearity, a).</summary>
    public static Tensor KaimingUniform(Tensor t, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? gen = null)
    {
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(t, mode));
        float bound = (float)(Math.Sqrt(3.0) * std);
        return Uniform(t, -bound, bound, gen);
    }

    /// <summary>He normal: N(0, std²), std = gain/√fan.</summary>
    public static Tensor KaimingNormal(Tensor t, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? gen = null)
        => Normal(t, 0, (float)(CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(t, mode))), gen);

    /// <summary>
    /// PyTorch's default for Linear and Conv layers: weight by kaiming_uniform with a = √5 (U(±1/√fan_in)) and bias
    /// U(±1/√fan_in).
    /// </summary>
    public static void DefaultLayerInit(Tensor weight, Tensor? bias, Generator? gen = null)
    {
        KaimingUniform(weight, Math.Sqrt(5), gen: gen);
        if (bias != null)
        {
            int fi = CalculateFanInAndFanOut(weight).FanIn;
            float b = fi > 0 ? 1f / MathF.Sqrt(fi) : 0f;
            Uniform(bias, -b, b, gen);
        }
    }
}
