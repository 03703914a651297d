namespace Nabla.Optim;

/// <summary>
/// Lowers the learning rate when a metric stops improving (torch's ReduceLROnPlateau): after more than
/// <see cref="Patience"/> steps without an improvement beyond the threshold (relative: better than best·(1 ∓ threshold);
/// absolute: best ∓ threshold), each group's lr ← max(lr·factor, min_lr) (changes smaller than eps are skipped), then
/// <see cref="Cooldown"/> steps pass before bad steps count again. Call <see cref="Step(double)"/> with the metric.
/// </summary>
public sealed class ReduceLROnPlateau
{
    public Optimizer Optimizer { get; }
    public bool Maximize { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public bool RelativeThreshold { get; }
    public int Cooldown { get; }
    public double MinLearningRate { get; }
    public double Eps { get; }

    public double Best { get; private set; }
    public int NumBadEpochs { get; private set; }
    public int CooldownCounter { get; private set; }
    public int LastEpoch { get; private set; }
    public IReadOnlyList<double> LastLearningRates { get; private set; }
    public double LastLearningRate => LastLearningRates[0];

    /// <param name="mode">"min" (lower is better) or "max".</param>
    /// <param name="thresholdMode">"rel" or "abs".</param>
    /// <param name="eps">Smallest learning-rate change applied.</param>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (mode != "min" && mode != "max") throw new ArgumentException($"ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"{mode}\"");
        if (thresholdMode != "rel" && thresholdMode != "abs") throw new ArgumentException($"ReduceLROnPlateau: threshold_mode must be \"rel\" or \"abs\", got \"{thresholdMode}\"");
        if (!(factor < 1 && factor >= 0)) throw new ArgumentException($"ReduceLROnPlateau: factor must be in [0, 1), got {factor}");
        if (patience < 0 || cooldown < 0) throw new ArgumentException($"ReduceLROnPlateau: patience and cooldown must be non-negative, got {patience} and {cooldown}");
        Optimizer = optimizer; Maximize = mode == "max"; Factor = factor; Patience = patience; Threshold = threshold;
        RelativeThreshold = thresholdMode == "rel"; Cooldown = cooldown; MinLearningRate = minLr; Eps = eps;
        Best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
        LastLearningRates = optimizer.ParamGroups.Select(g => g.LearningRate!.Value).ToArray();
    }

    bool IsBetter(double a)
    {
        if (!Maximize) return RelativeThreshold ? a < Best * (1 - Threshold) : a < Best - Threshold;
        return RelativeThreshold ? a > Best * (Threshold + 1) : a > Best + Threshold;
    }

    /// <summary>Records one epoch's metric and lowers the learning rate when it has plateaued.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric)) { Best = metric; NumBadEpochs = 0; }
        else NumBadEpochs++;
        if (CooldownCounter > 0) { CooldownCounter--; NumBadEpochs = 0; }
        if (NumBadEpochs > Patience)
        {
            foreach (var g in Optimizer.ParamGroups)
            {
                double old = g.LearningRate!.Value, nw = Math.Max(old * Factor, MinLearningRate);
                if (old - nw > Eps) g.LearningRate = nw;
            }
            CooldownCounter = Cooldown; NumBadEpochs = 0;
        }
        LastLearningRates = Optimizer.ParamGroups.Select(g => g.LearningRate!.Value).ToArray();
    }

    /// <summary>The plateau state (best, counters, step) for a checkpoint.</summary>
    public Dictionary<string, double> StateDict() => new()
    {
        ["best"] = Best, ["num_bad_epochs"] = NumBadEpochs, ["cooldown_counter"] = CooldownCounter, ["last_epoch"] = LastEpoch,
    };

    public void LoadStateDict(IReadOnlyDictionary<string, double> s)
    {
        foreach (var k in new[] { "best", "num_bad_epochs", "cooldown_counter", "last_epoch" })
            if (!s.ContainsKey(k)) throw new InvalidDataException($"ReduceLROnPlateau.LoadStateDict: missing '{k}'");
        Best = s["best"]; NumBadEpochs = (int)s["num_bad_epochs"]; CooldownCounter = (int)s["cooldown_counter"]; LastEpoch = (int)s["last_epoch"];
    }
}
