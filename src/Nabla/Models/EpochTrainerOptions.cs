using System.Globalization;

namespace Nabla.Models;

/// <summary>Settings of an <see cref="EpochTrainer"/> run (see <see cref="Validate"/> for the allowed ranges).</summary>
public sealed record EpochTrainerOptions
{
    /// <summary>Passes over the training set, E ≥ 1.</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>Examples per optimizer step, B ≥ 1.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Adam learning rate η &gt; 0.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Root seed: fork 1 initializes the model, fork 2 shuffles, fork 3 draws training noise, fork 4 evaluation noise.</summary>
    public ulong Seed { get; init; }
    /// <summary>Where the checkpoint goes after every completed epoch (atomically); null writes none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, $"EpochTrainerOptions.Epochs must be ≥ 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"EpochTrainerOptions.BatchSize must be ≥ 1, got {BatchSize}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate,
                $"EpochTrainerOptions.LearningRate must be a positive finite number, got {LearningRate.ToString(CultureInfo.InvariantCulture)}");
        if (CheckpointPath is { Length: 0 }) throw new ArgumentException("EpochTrainerOptions.CheckpointPath must not be empty (null writes no checkpoint)", nameof(CheckpointPath));
    }

    /// <summary>The checkpoint metadata of the run: <paramref name="model"/>'s own entries plus epochs done, batch, lr and seed.</summary>
    public Dictionary<string, string> RunMetadata(Dictionary<string, string> model, int epochsDone)
    {
        ArgumentNullException.ThrowIfNull(model);
        model["epochs"] = epochsDone.ToString(CultureInfo.InvariantCulture);
        model["batch"] = BatchSize.ToString(CultureInfo.InvariantCulture);
        model["lr"] = LearningRate.ToString("R", CultureInfo.InvariantCulture);
        model["seed"] = Seed.ToString(CultureInfo.InvariantCulture);
        return model;
    }
}

/// <summary>What one optimizer step reports: the loss ℓ per example and named per-example metrics (e.g. ("acc", 0.91)).</summary>
public readonly record struct StepResult(double Loss, (string Name, double Value)[]? Metrics = null);

/// <summary>
/// Passed to the step callback after every step: steps done in all (1 after the first), the epoch (1-based), the
/// step's loss and metrics, examples/s so far, and the running means of the metrics over the epoch's steps.
/// </summary>
public readonly record struct EpochTrainerStep(long Step, long TotalSteps, int Epoch, double Loss, double ExamplesPerSecond,
    (string Name, double Value)[] Metrics, (string Name, double Value)[] EpochMeans);

/// <summary>
/// One completed epoch: the training means over its examples (loss and each step metric, weighted by batch size),
/// the evaluation after it, and whether its checkpoint was written.
/// </summary>
public sealed record EpochSummary(int Epoch, double TrainLoss, IReadOnlyList<(string Name, double Value)> Train, IReadOnlyList<(string Name, double Value)> Test)
{
    /// <summary>The training mean of step metric <paramref name="name"/>.</summary>
    public double TrainMetric(string name) => EpochTrainingResult.Find(Train, name);
    /// <summary>The evaluation metric <paramref name="name"/>.</summary>
    public double TestMetric(string name) => EpochTrainingResult.Find(Test, name);
}

/// <summary>
/// The outcome of <see cref="EpochTrainer.Train"/>: epochs completed, steps taken, per-step loss and metric series,
/// each completed epoch's summary, the final evaluation (the last epoch's, or one made when no epoch completed)
/// and whether the run was cancelled.
/// </summary>
public sealed record EpochTrainingResult(int EpochsDone, long Steps, bool Cancelled, IReadOnlyList<double> Losses,
    IReadOnlyDictionary<string, List<double>> StepMetrics, IReadOnlyList<EpochSummary> Epochs, IReadOnlyList<(string Name, double Value)> FinalTest,
    TimeSpan Elapsed)
{
    /// <summary>The epoch cut short by cancellation and the examples it had seen; null when none was.</summary>
    public (int Epoch, long Examples)? Interrupted { get; init; }

    /// <summary>The final evaluation's metric <paramref name="name"/>.</summary>
    public double FinalMetric(string name) => Find(FinalTest, name);

    internal static double Find(IReadOnlyList<(string Name, double Value)> metrics, string name)
    {
        foreach (var (n, v) in metrics) if (n == name) return v;
        throw new KeyNotFoundException($"no metric '{name}' (have: {string.Join(", ", metrics.Select(m => m.Name))})");
    }
}
