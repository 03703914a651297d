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
/// <see cref="ForVae"/> build the model, Adam and the loader from <see cref="EpochTrainerOptions.Seed"/>; their
/// trainers can train data-parallel (<see cref="UseDataParallel"/>).
/// </summary>
public sealed partial class EpochTrainer
{
    readonly Func<Batch, StepResult>? step;
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
        shardBatch = loader.BatchSize;
    }

    /// <summary>
    /// A trainer whose steps the trainer itself takes: <paramref name="backward"/> gives the loss (mean per example) and
    /// metrics of one shard of a batch, drawing any noise from the generator it is passed (<paramref name="noise"/> when
    /// there is one shard); the trainer back-propagates, averages the gradients over the shards and steps
    /// <paramref name="optimizer"/>. Such a trainer can train data-parallel (<see cref="UseDataParallel"/>).
    /// </summary>
    public EpochTrainer(Module model, Optimizer optimizer, DataLoader loader, ShardLoss backward, Generator? noise,
        Func<IReadOnlyList<(string Name, double Value)>> evaluate, Func<Dictionary<string, string>> metadata, EpochTrainerOptions options)
        : this(model, optimizer, loader, _ => default, evaluate, metadata, options)
    {
        ArgumentNullException.ThrowIfNull(backward);
        step = null;
        shardLoss = backward;
        this.noise = noise ?? new Generator(options.Seed);
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public DataLoader Loader { get; private set; }
    public EpochTrainerOptions Options { get; }
    /// <summary>Optimizer steps per epoch (batches of the loader, less a final one smaller than the shard count).</summary>
    public int StepsPerEpoch => Loader.BatchCount - (SkipsLastBatch ? 1 : 0);
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
        bool stopped = false;   // one process: the token; several: the ranks' summed stop votes, so all stop after the same step
        bool Cancelled() => stopped || (parallel.WorldSize == 1 && cancellationToken.IsCancellationRequested);
        for (int epoch = 1; epoch <= Options.Epochs && !Cancelled(); epoch++)
        {
            Model.Train();
            var sums = new EpochSums();
            foreach (var b in Loader)
            {
                if (Cancelled()) break;
                StepResult r;
                if (step != null) r = step(b);
                else
                {
                    var (taken, stop) = ShardedStep(b, cancellationToken.IsCancellationRequested);
                    stopped |= stop;
                    if (taken is not { } t) continue;
                    r = t;
                }
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
            if (Cancelled() && sums.Seen < trainCount - (SkipsLastBatch ? trainCount % Loader.BatchSize : 0)) { interrupted = (epoch, sums.Seen); break; }
            lastTest = evaluate();
            epochsDone = epoch;
            var summary = new EpochSummary(epoch, sums.MeanLoss, sums.Means(), lastTest);
            epochs.Add(summary);
            onEpoch?.Invoke(summary);
            if (parallel.IsWriter && Options.CheckpointPath is { } path) Model.SaveSafetensors(path, Options.RunMetadata(metadata(), epochsDone));
        }
        if (epochsDone == 0 && parallel.IsWriter && Options.CheckpointPath is { } p0) Model.SaveSafetensors(p0, Options.RunMetadata(metadata(), 0));
        var final = lastTest ?? evaluate();
        return new EpochTrainingResult(epochsDone, stepsDone, Cancelled(), losses, series, epochs, final, sw.Elapsed)
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
