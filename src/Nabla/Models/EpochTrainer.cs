using System.Diagnostics;
using Nabla.Data;
using Nabla.IO;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// The epoch loop of mini-batch training: for e = 1…E, put the model in training mode, take one optimizer step per
/// batch of a shuffled <see cref="DataLoader"/>, then evaluate and write the checkpoint (atomically, through
/// <see cref="StateDictIO.SaveSafetensors"/>). Cancellation stops the loop between steps; an interrupted epoch is
/// neither evaluated nor checkpointed, so the checkpoint on disk is always that of a completed epoch (or of the
/// initial weights when none completed). The factories <see cref="ForClassifier"/>, <see cref="ForAutoencoder"/> and
/// <see cref="ForVae"/> build the model, Adam and the loader from <see cref="EpochTrainerOptions.Seed"/>.
/// </summary>
public sealed partial class EpochTrainer
{
    readonly Func<Batch, StepResult> step;
    readonly Func<IReadOnlyList<(string Name, double Value)>> evaluate;
    readonly Func<Dictionary<string, string>> metadata;

    /// <summary>
    /// A trainer of <paramref name="model"/> whose step is <paramref name="step"/> (one optimizer step on a batch,
    /// returning its loss and metrics), evaluated by <paramref name="evaluate"/> after each epoch, its checkpoints
    /// carrying <paramref name="metadata"/>() plus the run's settings.
    /// </summary>
    public EpochTrainer(Module model, Optimizer optimizer, DataLoader loader, Func<Batch, StepResult> step,
        Func<IReadOnlyList<(string Name, double Value)>> evaluate, Func<Dictionary<string, string>> metadata, EpochTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(evaluate);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Optimizer = optimizer;
        Loader = loader;
        Options = options;
        this.step = step;
        this.evaluate = evaluate;
        this.metadata = metadata;
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public DataLoader Loader { get; }
    public EpochTrainerOptions Options { get; }
    /// <summary>Optimizer steps per epoch (batches of the loader).</summary>
    public int StepsPerEpoch => Loader.BatchCount;
    /// <summary>E × steps per epoch.</summary>
    public long TotalSteps => (long)Options.Epochs * StepsPerEpoch;

    /// <summary>
    /// Runs the epochs. <paramref name="onStep"/> is called after every step, <paramref name="onEpoch"/> after every
    /// completed epoch's evaluation (before its checkpoint is written). Cancellation ends the run early without
    /// throwing; the result says so.
    /// </summary>
    public EpochTrainingResult Train(CancellationToken cancellationToken = default, Action<EpochTrainerStep>? onStep = null, Action<EpochSummary>? onEpoch = null)
    {
        var sw = Stopwatch.StartNew();
        var losses = new List<double>();
        var series = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var epochs = new List<EpochSummary>();
        IReadOnlyList<(string Name, double Value)>? lastTest = null;
        int epochsDone = 0;
        long stepsDone = 0, examples = 0;
        (int, long)? interrupted = null;
        long total = TotalSteps;
        int trainCount = Loader.Data.Count;
        for (int epoch = 1; epoch <= Options.Epochs && !cancellationToken.IsCancellationRequested; epoch++)
        {
            Model.Train();
            var sums = new EpochSums();
            foreach (var b in Loader)
            {
                if (cancellationToken.IsCancellationRequested) break;
                var r = step(b);
                var m = r.Metrics ?? [];
                losses.Add(r.Loss);
                foreach (var (name, v) in m)
                {
                    if (!series.TryGetValue(name, out var list)) series[name] = list = [];
                    list.Add(v);
                }
                sums.Add(r.Loss, m, b.Count);
                stepsDone++;
                examples += b.Count;
                onStep?.Invoke(new EpochTrainerStep(stepsDone, total, epoch, r.Loss, examples / Math.Max(sw.Elapsed.TotalSeconds, 1e-9), m, sums.Means()));
            }
            if (cancellationToken.IsCancellationRequested && sums.Seen < trainCount) { interrupted = (epoch, sums.Seen); break; }
            lastTest = evaluate();
            epochsDone = epoch;
            var summary = new EpochSummary(epoch, sums.MeanLoss, sums.Means(), lastTest);
            epochs.Add(summary);
            onEpoch?.Invoke(summary);
            if (Options.CheckpointPath is { } path) Model.SaveSafetensors(path, Options.RunMetadata(metadata(), epochsDone));
        }
        if (epochsDone == 0 && Options.CheckpointPath is { } p0) Model.SaveSafetensors(p0, Options.RunMetadata(metadata(), 0));
        var final = lastTest ?? evaluate();
        return new EpochTrainingResult(epochsDone, stepsDone, cancellationToken.IsCancellationRequested, losses, series, epochs, final, sw.Elapsed)
        {
            Interrupted = interrupted,
        };
    }

    /// <summary>Σ ℓ·B and Σ metric·B over an epoch's steps, for the epoch means.</summary>
    sealed class EpochSums
    {
        double lossSum;
        readonly List<(string Name, double Sum)> metricSums = [];
        public long Seen { get; private set; }

        public void Add(double loss, (string Name, double Value)[] metrics, int count)
        {
            lossSum += loss * count;
            for (int i = 0; i < metrics.Length; i++)
            {
                if (i == metricSums.Count) metricSums.Add((metrics[i].Name, 0));
                metricSums[i] = (metricSums[i].Name, metricSums[i].Sum + metrics[i].Value * count);
            }
            Seen += count;
        }

        public double MeanLoss => Seen > 0 ? lossSum / Seen : double.NaN;

        public (string Name, double Value)[] Means()
        {
            var m = new (string, double)[metricSums.Count];
            for (int i = 0; i < m.Length; i++) m[i] = (metricSums[i].Name, Seen > 0 ? metricSums[i].Sum / Seen : double.NaN);
            return m;
        }
    }
}
