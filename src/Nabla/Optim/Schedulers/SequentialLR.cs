namespace Nabla.Optim;

/// <summary>
/// Runs schedulers one after another (torch's SequentialLR): scheduler i is active from milestone i−1 on and sees
/// its own step count restarting at 0 there, so lr(t) = s_i.lr(t − milestone_{i−1}). The schedulers must wrap the
/// same optimizer.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    readonly LRScheduler[] schedulers;
    readonly int[] milestones;

    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer, false)
    {
        ArgumentNullException.ThrowIfNull(schedulers); ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0) throw new ArgumentException("SequentialLR: needs at least one scheduler");
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"SequentialLR: {schedulers.Count} schedulers need {schedulers.Count - 1} milestones, got {milestones.Count}");
        for (int i = 1; i < milestones.Count; i++)
            if (milestones[i] < milestones[i - 1]) throw new ArgumentException("SequentialLR: milestones must be non-decreasing");
        foreach (var s in schedulers)
            if (!ReferenceEquals(s.Optimizer, optimizer)) throw new ArgumentException("SequentialLR: every scheduler must wrap the given optimizer");
        this.schedulers = schedulers.ToArray();
        this.milestones = milestones.ToArray();
        Step();
    }

    (LRScheduler s, int local) Active(int t)
    {
        int idx = 0;
        while (idx < milestones.Length && milestones[idx] <= t) idx++;
        return (schedulers[idx], idx == 0 ? t : t - milestones[idx - 1]);
    }

    public override double LearningRateAt(int group, int t)
    {
        var (s, local) = Active(t);
        return s.LearningRateAt(group, local);
    }
}

/// <summary>
/// Linear warm-up then cosine annealing, identical to torch's
/// SequentialLR([LinearLR(start_factor, 1, warmup), CosineAnnealingLR(total − warmup, η_min)], milestones=[warmup]):
/// lr = base·(s + (1 − s)·t/W) for t &lt; W, then η_min + (base − η_min)·(1 + cos(π(t − W)/(T − W)))/2.
/// </summary>
public sealed class WarmupCosineLR : LRScheduler
{
    public int WarmupSteps { get; }
    public int TotalSteps { get; }
    public double StartFactor { get; }
    public double EtaMin { get; }

    public WarmupCosineLR(Optimizer optimizer, int warmupSteps, int totalSteps, double startFactor = 1e-3, double etaMin = 0) : base(optimizer, false)
    {
        if (warmupSteps <= 0 || totalSteps <= warmupSteps)
            throw new ArgumentException($"WarmupCosineLR: need 0 < warmup_steps < total_steps, got {warmupSteps} and {totalSteps}");
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentException($"WarmupCosineLR: start_factor must be in (0, 1], got {startFactor}");
        WarmupSteps = warmupSteps; TotalSteps = totalSteps; StartFactor = startFactor; EtaMin = etaMin;
        Step();
    }

    public override double LearningRateAt(int group, int t)
    {
        double b = BaseLearningRates[group];
        if (t < WarmupSteps) return b * (StartFactor + (1 - StartFactor) * t / WarmupSteps);
        return EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * (t - WarmupSteps) / (TotalSteps - WarmupSteps))) / 2;
    }
}
