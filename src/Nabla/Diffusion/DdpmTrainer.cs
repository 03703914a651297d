using System.Diagnostics;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Diffusion;

/// <summary>Thrown when a training loss is NaN or infinite; the step was not applied.</summary>
public sealed class NonFiniteLossException : Exception
{
    public int Step { get; }
    public float Loss { get; }
    public NonFiniteLossException(int step, float loss)
        : base($"DDPM training diverged: the loss at step {step} is {loss}. The step was not applied; the last checkpoint written is the last good state (a lower learning rate may help).")
    { Step = step; Loss = loss; }
}

/// <summary>Why <see cref="DdpmTrainer.Train"/> returned.</summary>
public enum DdpmTrainingStatus { Completed, TimeBudgetReached, Cancelled, Diverged }

/// <summary>The outcome of <see cref="DdpmTrainer.Train"/>.</summary>
public sealed record DdpmTrainingResult(DdpmTrainingStatus Status, int Step, string Message, bool CheckpointWritten);

/// <summary>Reported after every training step.</summary>
public readonly record struct DdpmTrainingProgress(int Step, int TotalSteps, float Loss, double StepsPerSecond, TimeSpan Elapsed);

/// <summary>
/// DDPM training (Ho et al. 2020, Algorithm 1) of a <see cref="UNet"/>: per step draw a batch (indices with replacement),
/// drop labels to "no label" with probability p (classifier-free guidance), t ~ U{0…T−1}, ε ~ N(0, I), minimise
/// the (optionally min-SNR-weighted) MSE of the objective's target (<see cref="DdpmLoss"/>) with Adam, then update the EMA of the weights. Every draw comes from one <see cref="Generator"/>
/// whose state is checkpointed, so a resumed run reproduces the uninterrupted one loss for loss.
/// </summary>
public sealed partial class DdpmTrainer
{
    readonly Tensor images;
    readonly int[]? labels;
    readonly Adam optimizer;
    readonly List<float> losses = new();
    readonly int perImage;

    public UNet Model { get; }
    public WeightEma Ema { get; }
    /// <summary>The EMA weights as a model (sample from this).</summary>
    public UNet EmaModel => (UNet)Ema.Shadow;
    public NoiseSchedule Schedule { get; }
    public DdpmTrainingOptions Options { get; }
    /// <summary>The source of every training draw.</summary>
    public Generator Generator { get; private set; }
    /// <summary>Optimizer steps taken.</summary>
    public int Step { get; private set; }
    /// <summary>Loss of every step so far.</summary>
    public IReadOnlyList<float> Losses => losses;
    public bool Conditional => Model.Config.NumClasses > 0;

    /// <param name="config">The network.</param>
    /// <param name="options">Hyperparameters (and the seed).</param>
    /// <param name="images">Training images [N, C, S, S] scaled to [−1, 1].</param>
    /// <param name="labels">Class of each image (needed when the network is class-conditional; ignored otherwise).</param>
    public DdpmTrainer(UNetConfig config, DdpmTrainingOptions options, Tensor images, int[]? labels = null)
    {
        ArgumentNullException.ThrowIfNull(config); ArgumentNullException.ThrowIfNull(options); ArgumentNullException.ThrowIfNull(images);
        config.Validate(); options.Validate();
        if (images.Rank != 4 || images.Dim(1) != config.InChannels || images.Dim(2) != config.ImageSize || images.Dim(3) != config.ImageSize || images.Dim(0) == 0)
            throw new ArgumentException($"DdpmTrainer: images {ShapeMath.Format(images.Shape)} must be [N ≥ 1, {config.InChannels}, {config.ImageSize}, {config.ImageSize}]");
        if (config.NumClasses > 0)
        {
            if (labels == null) throw new ArgumentException("DdpmTrainer: a class-conditional network needs labels");
            if (labels.Length != images.Dim(0)) throw new ArgumentException($"DdpmTrainer: {labels.Length} labels for {images.Dim(0)} images");
            foreach (var l in labels) if (l < 0 || l >= config.NumClasses) throw new ArgumentException($"DdpmTrainer: label {l} is outside 0..{config.NumClasses - 1}");
            this.labels = labels;
        }
        this.images = images;
        perImage = images.Size / images.Dim(0);
        Options = options;
        Schedule = options.CreateSchedule();
        Generator = new Generator(options.Seed);
        Model = new UNet(config, Generator.Fork(1));
        Ema = new WeightEma(Model, new UNet(config, Generator.Fork(2)), options.EmaMaxDecay);
        EmaModel.Eval();
        optimizer = new Adam(Model.Parameters(), lr: options.LearningRate);
    }

    /// <summary>Continues from a checkpoint written by <see cref="SaveCheckpoint"/> on the same data.</summary>
    public static DdpmTrainer Resume(string path, Tensor images, int[]? labels = null) => Resume(DdpmCheckpoint.Read(path), path, images, labels);

    static DdpmTrainer Resume(DdpmCheckpoint ck, string path, Tensor images, int[]? labels)
    {
        var tr = new DdpmTrainer(ck.Config, ck.Options, images, labels);
        try
        {
            tr.Model.LoadStateDict(ck.Model, strict: true);
            tr.EmaModel.LoadStateDict(ck.Ema, strict: true);
            tr.optimizer.LoadStateDict(ck.Optimizer);
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or ArgumentException)
        { throw new InvalidDataException($"DDPM checkpoint '{path}': {e.Message}", e); }
        tr.Ema.Updates = ck.EmaUpdates;
        tr.Step = ck.Step;
        tr.losses.AddRange(ck.Losses);
        tr.Generator = new Generator(ck.RngSeed, ck.RngOffset);
        return tr;
    }

    /// <summary>The current state as a checkpoint object (copies of every tensor).</summary>
    public DdpmCheckpoint Checkpoint() => new()
    {
        Config = Model.Config, Options = Options, Step = Step,
        RngSeed = Generator.Seed, RngOffset = Generator.Offset, EmaUpdates = Ema.Updates,
        Model = Model.StateDict().ToDictionary(p => p.Key, p => Tensor.FromArray(p.Value.ToArray(), p.Value.Shape)),
        Ema = EmaModel.StateDict().ToDictionary(p => p.Key, p => Tensor.FromArray(p.Value.ToArray(), p.Value.Shape)),
        Optimizer = optimizer.StateDict(),
        Losses = losses.ToArray(),
    };

    /// <summary>Writes the checkpoint atomically (temp file + rename).</summary>
    public void SaveCheckpoint(string path) => Checkpoint().Write(path);

    /// <summary>One optimizer step; returns its loss. Throws <see cref="NonFiniteLossException"/> (without updating anything) on a NaN/∞ loss.</summary>
    /// <param name="progress">The run's progress in [0, 1], which sets the learning rate when the options decay it
    /// (<see cref="DdpmTrainingOptions.LearningRateFactor"/>); <see cref="Train"/> passes it itself.</param>
    public float TrainStep(double progress = 0) => StepCore(false, false, Math.Clamp(progress, 0, 1)).Loss;

    /// <summary>One shard's loss: draws b images (with replacement) and their labels from <paramref name="gen"/>, then t and ε (in <see cref="DdpmLoss"/>).</summary>
    Tensor ShardLoss(Generator gen)
    {
        int b = Options.BatchSize;
        var idx = new int[b];
        gen.FillInt(idx, 0, images.Dim(0));
        var x = new float[b * perImage];
        for (int i = 0; i < b; i++) images.data.AsSpan(idx[i] * perImage, perImage).CopyTo(x.AsSpan(i * perImage, perImage));
        var shape = images.Shape; shape[0] = b;
        var x0 = new Tensor(x, shape);
        Tensor? lab = null;
        if (labels != null)
        {
            var u = new float[b];
            gen.FillUniform(u);
            var l = new float[b];
            for (int i = 0; i < b; i++) l[i] = u[i] < Options.LabelDropout ? Model.Config.NullLabel : labels[idx[i]];
            lab = new Tensor(l, b);
        }
        return DdpmLoss.Compute(Schedule, Model.AsNoisePredictor(), x0, lab, gen, Options.Objective, Options.MinSnrGamma);
    }

    /// <summary>
    /// Trains until <paramref name="totalSteps"/> steps have been taken in all (including before a resume), the time
    /// budget runs out, or <paramref name="cancellation"/> fires (e.g. Ctrl-C). A checkpoint is written every
    /// <paramref name="checkpointEvery"/> steps and on every exit except divergence (which keeps the last good one).
    /// </summary>
    public DdpmTrainingResult Train(int totalSteps, TimeSpan? timeBudget = null, string? checkpointPath = null, int checkpointEvery = 0,
        CancellationToken cancellation = default, Action<DdpmTrainingProgress>? progress = null)
    {
        if (totalSteps < 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"DdpmTrainer.Train: totalSteps must be ≥ 0, got {totalSteps}");
        if (checkpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(checkpointEvery), $"DdpmTrainer.Train: checkpointEvery must be ≥ 0, got {checkpointEvery}");
        var sw = Stopwatch.StartNew();
        int start = Step;
        string TimeMessage() => $"time budget of {timeBudget!.Value.TotalMinutes:0.##} min reached at step {Step}";
        bool wrote = false;
        DdpmTrainingResult Finish(DdpmTrainingStatus status, string message)
        {
            if (checkpointPath != null && status != DdpmTrainingStatus.Diverged && parallel.IsWriter) { SaveCheckpoint(checkpointPath); wrote = true; }
            return new DdpmTrainingResult(status, Step, message, wrote);
        }
        while (Step < totalSteps)
        {
            bool cancel = cancellation.IsCancellationRequested, timeUp = timeBudget is { } tb && sw.Elapsed >= tb;
            // one process stops before the step; data-parallel processes vote in the step and stop together after it
            if (parallel.WorldSize == 1 && cancel) return Finish(DdpmTrainingStatus.Cancelled, $"cancelled after step {Step}");
            if (parallel.WorldSize == 1 && timeUp) return Finish(DdpmTrainingStatus.TimeBudgetReached, TimeMessage());
            (float Loss, bool Cancel, bool TimeUp) r;
            try { r = StepCore(cancel, timeUp, RunProgress(Step, totalSteps, sw.Elapsed, timeBudget)); }
            catch (NonFiniteLossException e) { return new DdpmTrainingResult(DdpmTrainingStatus.Diverged, Step, e.Message, wrote); }
            var el = sw.Elapsed;
            progress?.Invoke(new DdpmTrainingProgress(Step, totalSteps, r.Loss, (Step - start) / Math.Max(el.TotalSeconds, 1e-9), el));
            if (r.Cancel) return Finish(DdpmTrainingStatus.Cancelled, $"cancelled after step {Step}");
            if (r.TimeUp) return Finish(DdpmTrainingStatus.TimeBudgetReached, TimeMessage());
            if (checkpointPath != null && checkpointEvery > 0 && Step % checkpointEvery == 0 && Step < totalSteps && parallel.IsWriter) { SaveCheckpoint(checkpointPath); wrote = true; }
        }
        return Finish(DdpmTrainingStatus.Completed, $"completed {Step} steps");
    }

    /// <summary>
    /// How far a run is, in [0, 1]: the step cap's share (<paramref name="step"/> / <paramref name="totalSteps"/>) or the time
    /// budget's (elapsed / budget), whichever is further. A time budget belongs to one call of <see cref="Train"/>, so a
    /// run resumed with a new budget starts a new decay (one resumed to a step cap continues exactly). Data-parallel
    /// processes average theirs with the gradients, so every rank steps with the same learning rate.
    /// </summary>
    internal static double RunProgress(int step, int totalSteps, TimeSpan elapsed, TimeSpan? budget)
    {
        double p = totalSteps == int.MaxValue ? 0 : (double)step / totalSteps;
        if (budget is { } b && b > TimeSpan.Zero) p = Math.Max(p, elapsed / b);
        return Math.Clamp(p, 0, 1);
    }
}
