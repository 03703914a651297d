namespace Nabla.Optim;

/// <summary>
/// The one-cycle policy (Smith &amp; Topin; torch's OneCycleLR): the learning rate rises from max_lr/div_factor to
/// max_lr over the first pct_start of the steps, then anneals to initial/final_div_factor (cosine or linear), while
/// momentum (SGD) or β1 (Adam) cycles the opposite way between max_momentum and base_momentum. Per step, call
/// <see cref="LRScheduler.Step"/> after each optimizer step; stepping past total_steps throws, as PyTorch.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    readonly (double endStep, int startLr, int endLr, bool momUp)[] phases; // lr index: 0 initial, 1 max, 2 min
    readonly double[][] lrPoints;
    public int TotalSteps { get; }
    public bool CycleMomentum { get; }
    public double BaseMomentum { get; }
    public double MaxMomentum { get; }
    public bool CosineAnnealing { get; }

    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, string annealStrategy = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25,
        double finalDivFactor = 1e4, bool threePhase = false)
        : base(Prepare(optimizer, maxLr, totalSteps, pctStart, annealStrategy, divFactor, finalDivFactor), false)
    {
        TotalSteps = totalSteps; CycleMomentum = cycleMomentum; BaseMomentum = baseMomentum; MaxMomentum = maxMomentum;
        CosineAnnealing = annealStrategy == "cos";
        phases = threePhase
            ? new[] { (pctStart * totalSteps - 1, 0, 1, false), (2 * pctStart * totalSteps - 2, 1, 0, true), (totalSteps - 1.0, 0, 2, true) }
            : new[] { (pctStart * totalSteps - 1, 0, 1, false), (totalSteps - 1.0, 1, 2, true) };
        lrPoints = optimizer.ParamGroups.Select(g => new[] { maxLr / divFactor, maxLr, maxLr / divFactor / finalDivFactor }).ToArray();
        if (cycleMomentum) foreach (var g in optimizer.ParamGroups) g.Momentum = maxMomentum;
        RefreshBaseLearningRates();
        Step();
    }

    /// <summary>The same with total steps = epochs·stepsPerEpoch.</summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int epochs, int stepsPerEpoch, double pctStart = 0.3, string annealStrategy = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, maxLr, checked(epochs * stepsPerEpoch), pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase) { }

    static Optimizer Prepare(Optimizer opt, double maxLr, int totalSteps, double pctStart, string anneal, double div, double finalDiv)
    {
        ArgumentNullException.ThrowIfNull(opt);
        if (totalSteps <= 0) throw new ArgumentException($"OneCycleLR: total_steps must be positive, got {totalSteps}");
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentException($"OneCycleLR: pct_start must be in [0, 1], got {pctStart}");
        if (anneal != "cos" && anneal != "linear") throw new ArgumentException($"OneCycleLR: anneal_strategy must be \"cos\" or \"linear\", got \"{anneal}\"");
        if (!(maxLr > 0) || !(div > 0) || !(finalDiv > 0)) throw new ArgumentException($"OneCycleLR: max_lr, div_factor and final_div_factor must be positive");
        foreach (var g in opt.ParamGroups) g.InitialLearningRate = maxLr / div;
        return opt;
    }

    double Anneal(double start, double end, double pct)
        => CosineAnnealing ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;

    (double lr, double mom) At(int group, int t)
    {
        if (t > TotalSteps) throw new InvalidOperationException($"OneCycleLR: tried to step {t} times; the schedule has {TotalSteps} total steps");
        double start = 0;
        for (int i = 0; i < phases.Length; i++)
        {
            var (end, sLr, eLr, momUp) = phases[i];
            if (t <= end || i == phases.Length - 1)
            {
                double pct = (t - start) / (end - start);
                double lr = Anneal(lrPoints[group][sLr], lrPoints[group][eLr], pct);
                double mom = i == 2 ? MaxMomentum
                    : momUp ? Anneal(BaseMomentum, MaxMomentum, pct) : Anneal(MaxMomentum, BaseMomentum, pct);
                return (lr, mom);
            }
            start = end;
        }
        throw new InvalidOperationException("unreachable");
    }

    public override double LearningRateAt(int group, int t) => At(group, t).lr;

    protected override void OnApplied(int t)
    {
        if (!CycleMomentum) return;
        for (int g = 0; g < Optimizer.ParamGroups.Count; g++) Optimizer.ParamGroups[g].Momentum = At(g, t).mom;
    }
}
