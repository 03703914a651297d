namespace Nabla.Optim;

/// <summary>
/// Base of the epoch/iteration learning-rate schedules (torch.optim.lr_scheduler.LRScheduler). Each schedule is a
/// closed form lr_g(t) of the step count t = <see cref="LastEpoch"/> and the group's initial learning rate, equal to
/// PyTorch's (recursive) values. Creating a scheduler sets t = 0 and applies lr(0), as PyTorch does; call
/// <see cref="Step"/> after each epoch (or iteration) to advance.
/// </summary>
public abstract class LRScheduler
{
    public Optimizer Optimizer { get; }
    /// <summary>The step count t of the current learning rate (0 right after construction).</summary>
    public int LastEpoch { get; private set; } = -1;
    /// <summary>The groups' initial learning rates (PyTorch's base_lrs).</summary>
    public IReadOnlyList<double> BaseLearningRates { get; private set; }
    /// <summary>The learning rates set by the last step, one per group.</summary>
    public IReadOnlyList<double> LastLearningRates { get; private set; } = Array.Empty<double>();
    /// <summary>The first group's learning rate after the last step.</summary>
    public double LastLearningRate => LastLearningRates[0];

    protected LRScheduler(Optimizer optimizer, bool applyInitialStep = true)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups) g.InitialLearningRate ??= g.LearningRate;
        BaseLearningRates = optimizer.ParamGroups.Select(g => g.InitialLearningRate!.Value).ToArray();
        if (applyInitialStep) Step();
    }

    /// <summary>Re-reads the groups' initial learning rates (for schedules that set them, e.g. one-cycle).</summary>
    protected void RefreshBaseLearningRates() => BaseLearningRates = Optimizer.ParamGroups.Select(g => g.InitialLearningRate!.Value).ToArray();

    /// <summary>The learning rate of group <paramref name="group"/> at step <paramref name="t"/> (closed form).</summary>
    public abstract double LearningRateAt(int group, int t);

    /// <summary>Advances one step: t ← t + 1 and sets every group's learning rate to lr(t).</summary>
    public virtual void Step() => SetEpoch(LastEpoch + 1);

    /// <summary>Jumps to step <paramref name="t"/> and applies lr(t) (for resuming from a checkpoint).</summary>
    public void SetEpoch(int t)
    {
        LastEpoch = t;
        var lrs = new double[Optimizer.ParamGroups.Count];
        for (int g = 0; g < lrs.Length; g++) Optimizer.ParamGroups[g].LearningRate = lrs[g] = LearningRateAt(g, t);
        OnApplied(t);
        LastLearningRates = lrs;
    }

    /// <summary>Hook after the learning rates of step t are set (one-cycle sets momentum here).</summary>
    protected virtual void OnApplied(int t) { }

    /// <summary>The scheduler state: its step count.</summary>
    public Dictionary<string, double> StateDict() => new() { ["last_epoch"] = LastEpoch };

    /// <summary>Restores the step count and re-applies its learning rate.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        if (!state.TryGetValue("last_epoch", out var e)) throw new InvalidDataException($"{GetType().Name}.LoadStateDict: missing 'last_epoch'");
        SetEpoch((int)e);
    }

    protected static double Pow(double b, int e) => Math.Pow(b, e);
}
