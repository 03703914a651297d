namespace Nabla.Optim;

/// <summary>Keeps every group at its initial learning rate (a plain constant schedule).</summary>
public sealed class FixedLR : LRScheduler
{
    public FixedLR(Optimizer optimizer) : base(optimizer) { }
    public override double LearningRateAt(int group, int t) => BaseLearningRates[group];
}

/// <summary>lr = base·λ(t) for a user function λ (torch's LambdaLR).</summary>
public sealed class LambdaLR : LRScheduler
{
    readonly Func<int, double> lambda;
    public LambdaLR(Optimizer optimizer, Func<int, double> lambda) : base(optimizer, false)
    {
        this.lambda = lambda ?? throw new ArgumentNullException(nameof(lambda));
        Step();
    }
    public override double LearningRateAt(int group, int t) => BaseLearningRates[group] * lambda(t);
}

/// <summary>lr = base·factor for t &lt; totalIters, then base (torch's ConstantLR; defaults factor 1/3, 5 iterations).</summary>
public sealed class ConstantLR : LRScheduler
{
    public double Factor { get; }
    public int TotalIters { get; }
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5) : base(optimizer, false)
    {
        if (!(factor >= 0 && factor <= 1)) throw new ArgumentException($"ConstantLR: factor must be in [0, 1], got {factor}");
        if (totalIters < 0) throw new ArgumentException($"ConstantLR: total_iters must be non-negative, got {totalIters}");
        Factor = factor; TotalIters = totalIters;
        Step();
    }
    public override double LearningRateAt(int group, int t) => BaseLearningRates[group] * (t < TotalIters ? Factor : 1);
}

/// <summary>
/// Linear ramp of the factor from <see cref="StartFactor"/> to <see cref="EndFactor"/> over totalIters steps, then
/// constant: lr = base·(s + (e − s)·min(t, T)/T) (torch's LinearLR; the usual warm-up).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    public double StartFactor { get; }
    public double EndFactor { get; }
    public int TotalIters { get; }
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1, int totalIters = 5) : base(optimizer, false)
    {
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentException($"LinearLR: start_factor must be in (0, 1], got {startFactor}");
        if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentException($"LinearLR: end_factor must be in [0, 1], got {endFactor}");
        if (totalIters <= 0) throw new ArgumentException($"LinearLR: total_iters must be positive, got {totalIters}");
        StartFactor = startFactor; EndFactor = endFactor; TotalIters = totalIters;
        Step();
    }
    public override double LearningRateAt(int group, int t)
        => BaseLearningRates[group] * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, t) / TotalIters);
}

/// <summary>lr = base·γ^⌊t/stepSize⌋ (torch's StepLR).</summary>
public sealed class StepLR : LRScheduler
{
    public int StepSize { get; }
    public double Gamma { get; }
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer, false)
    {
        if (stepSize <= 0) throw new ArgumentException($"StepLR: step_size must be positive, got {stepSize}");
        StepSize = stepSize; Gamma = gamma;
        Step();
    }
    public override double LearningRateAt(int group, int t) => BaseLearningRates[group] * Pow(Gamma, t / StepSize);
}

/// <summary>lr = base·γ^(number of milestones ≤ t) (torch's MultiStepLR; a repeated milestone counts twice).</summary>
public sealed class MultiStepLR : LRScheduler
{
    readonly int[] milestones;
    public double Gamma { get; }
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer, false)
    {
        this.milestones = milestones.OrderBy(m => m).ToArray();
        Gamma = gamma;
        Step();
    }
    public IReadOnlyList<int> Milestones => milestones;
    public override double LearningRateAt(int group, int t)
    {
        int k = 0;
        foreach (var m in milestones) if (m <= t) k++;
        return BaseLearningRates[group] * Pow(Gamma, k);
    }
}

/// <summary>lr = base·γ^t (torch's ExponentialLR).</summary>
public sealed class ExponentialLR : LRScheduler
{
    public double Gamma { get; }
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer, false) { Gamma = gamma; Step(); }
    public override double LearningRateAt(int group, int t) => BaseLearningRates[group] * Pow(Gamma, t);
}

/// <summary>
/// lr = η_min + (base − η_min)·(1 + cos(π·t/T_max))/2 (SGDR without restarts; torch's CosineAnnealingLR, whose
/// recursive form equals this closed form; beyond T_max the cosine continues, rising again).
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    public int TMax { get; }
    public double EtaMin { get; }
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer, false)
    {
        if (tMax <= 0) throw new ArgumentException($"CosineAnnealingLR: T_max must be positive, got {tMax}");
        TMax = tMax; EtaMin = etaMin;
        Step();
    }
    public override double LearningRateAt(int group, int t)
        => EtaMin + (BaseLearningRates[group] - EtaMin) * (1 + Math.Cos(Math.PI * t / TMax)) / 2;
}
