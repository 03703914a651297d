using Nabla.NN;
using Nabla.Models;

namespace Nabla.Diffusion;

/// <summary>
/// Sampling from a trained diffusion model in one call: x_T ~ N(0, I), then S steps of <see cref="ReverseStep"/> on the
/// timesteps of <see cref="SamplingTimesteps"/>, the network's output guided by classifier-free guidance
/// (ε̂ = (1 + w)·out(x, c) − w·out(x, ∅), linear in every <see cref="Prediction"/>), in batches, the result clamped to
/// [−1, 1]. <code>
/// var pipe = DiffusionPipeline.Load("runs/ddpm/checkpoint.safetensors");
/// var x = pipe.Sample(16, labels: Enumerable.Repeat(7, 16).ToArray(), new() { Sampler = SamplerKind.DpmSolverPP2M, Steps = 15 }, new Generator(0));
/// </code>
/// A server that batches rows of many requests uses <see cref="CreateStep"/>, <see cref="Timesteps"/> and
/// <see cref="Guided"/> directly (the step takes one timestep per row).
/// </summary>
public sealed class DiffusionPipeline
{
    /// <summary>Guidance scale when neither the options nor the checkpoint give one.</summary>
    public const float FallbackGuidance = 2f;

    /// <summary>The network's raw output (<see cref="Prediction"/>).</summary>
    public NoisePredictor Model { get; }
    public NoiseSchedule Schedule { get; }
    public Prediction Prediction { get; }
    /// <summary>Number of classes (0 = unconditional); label <see cref="NullLabel"/> means "no label".</summary>
    public int NumClasses { get; }
    public int NullLabel => NumClasses;
    /// <summary>Shape of one sample [C, H, W].</summary>
    public IReadOnlyList<int> SampleShape { get; }
    /// <summary>Guidance used when <see cref="DiffusionSamplingOptions.Guidance"/> is null.</summary>
    public float DefaultGuidance { get; }
    /// <summary>Where guidance applies when <see cref="DiffusionSamplingOptions.GuidanceInterval"/> is null (the checkpoint's; default everywhere).</summary>
    public GuidanceInterval DefaultGuidanceInterval
    {
        get => defaultInterval;
        init { value.Validate(); defaultInterval = value; }
    }
    readonly GuidanceInterval defaultInterval = GuidanceInterval.Everywhere;

    public DiffusionPipeline(NoisePredictor model, NoiseSchedule schedule, IReadOnlyList<int> sampleShape, Prediction prediction = Prediction.Epsilon,
        int numClasses = 0, float defaultGuidance = FallbackGuidance)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Count == 0 || sampleShape.Any(d => d < 1)) throw new ArgumentException($"DiffusionPipeline: sample shape [{string.Join(", ", sampleShape)}] must have positive dimensions");
        if (!Enum.IsDefined(prediction)) throw new ArgumentException($"DiffusionPipeline: unknown prediction {prediction}");
        if (numClasses < 0) throw new ArgumentException($"DiffusionPipeline: numClasses must be ≥ 0, got {numClasses}");
        if (!(defaultGuidance >= 0) || float.IsInfinity(defaultGuidance)) throw new ArgumentException($"DiffusionPipeline: defaultGuidance must be a finite number ≥ 0, got {defaultGuidance}");
        SampleShape = sampleShape.ToArray(); Prediction = prediction; NumClasses = numClasses; DefaultGuidance = defaultGuidance;
    }

    /// <summary>A pipeline over a UNet (put it in eval mode first).</summary>
    public DiffusionPipeline(UNet model, NoiseSchedule schedule, Prediction prediction = Prediction.Epsilon, float defaultGuidance = FallbackGuidance)
        : this(model.AsNoisePredictor(), schedule, new[] { model.Config.InChannels, model.Config.ImageSize, model.Config.ImageSize }, prediction, model.Config.NumClasses, defaultGuidance) { }

    /// <summary>The checkpoint's EMA (default) or raw weights, with its schedule, objective and default guidance (scale at its
    /// step, <see cref="DdpmTrainingOptions.GuidanceAt"/>, and interval).</summary>
    public static DiffusionPipeline FromCheckpoint(DdpmCheckpoint checkpoint, bool ema = true)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return ForTrained(checkpoint.BuildModel(ema), checkpoint.Options, checkpoint.Step);
    }

    /// <summary>A pipeline over <paramref name="model"/> trained with <paramref name="options"/> for <paramref name="step"/>
    /// steps: its schedule and objective, the default guidance scale at that step (<see cref="DdpmTrainingOptions.GuidanceAt"/>)
    /// and its guidance interval.</summary>
    public static DiffusionPipeline ForTrained(UNet model, DdpmTrainingOptions options, long step)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        return new DiffusionPipeline(model, options.CreateSchedule(), options.Objective, options.GuidanceAt(step))
            { DefaultGuidanceInterval = options.DefaultGuidanceInterval };
    }

    /// <summary>Reads a checkpoint file (<see cref="DdpmCheckpoint.Read"/>) and builds its pipeline.</summary>
    public static DiffusionPipeline Load(string path, bool ema = true) => FromCheckpoint(DdpmCheckpoint.Read(path), ema);

    /// <summary>The per-row reverse step for <paramref name="options"/>.</summary>
    public ReverseStep CreateStep(DiffusionSamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(Schedule.T);
        return new ReverseStep(Schedule, options.Sampler, Prediction, options.ClipX0, options.Eta);
    }

    /// <summary>The timesteps every sample visits, descending (the step after the last goes to −1).</summary>
    public int[] Timesteps(DiffusionSamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(Schedule.T);
        return SamplingTimesteps.Create(Schedule.T, options.Steps, options.Spacing);
    }

    /// <summary>The network with classifier-free guidance of scale <paramref name="scale"/> (the model itself when unconditional or w = 0).</summary>
    public NoisePredictor Guided(float scale) => Guided(scale, GuidanceInterval.Everywhere);

    /// <summary>The network with classifier-free guidance of scale <paramref name="scale"/> at the timesteps inside <paramref name="interval"/>.</summary>
    public NoisePredictor Guided(float scale, GuidanceInterval interval)
    {
        interval.Validate();
        if (NumClasses == 0 || scale <= 0) return Model;
        if (interval.IsEverywhere) return ClassifierFreeGuidance.Wrap(Model, NullLabel, scale);
        var inside = new bool[Schedule.T];
        for (int t = 0; t < inside.Length; t++) inside[t] = interval.Contains(Schedule, t);
        return ClassifierFreeGuidance.Wrap(Model, NullLabel, scale, t => (uint)t < (uint)inside.Length && inside[t]);
    }

    /// <summary>The guidance scale <paramref name="options"/> resolve to.</summary>
    public float GuidanceOf(DiffusionSamplingOptions options) => options.Guidance ?? DefaultGuidance;

    /// <summary>The guidance interval <paramref name="options"/> resolve to.</summary>
    public GuidanceInterval GuidanceIntervalOf(DiffusionSamplingOptions options) => options.GuidanceInterval ?? DefaultGuidanceInterval;

    /// <summary>Network calls needed for <paramref name="count"/> samples (one per step per batch).</summary>
    public int ModelCalls(int count, DiffusionSamplingOptions options) => options.Steps * ((count + options.BatchSize - 1) / Math.Max(1, options.BatchSize));

    /// <summary>
    /// Draws <paramref name="count"/> samples [count, C, H, W] in [−1, 1]. <paramref name="labels"/> (length count) are
    /// class indices for a conditional model (<see cref="NullLabel"/> = unguided, unconditional rows); null = all
    /// unconditional. Every draw comes from <paramref name="gen"/> (x_T per batch, then the steps' noise).
    /// </summary>
    public Tensor Sample(int count, int[]? labels, DiffusionSamplingOptions? options, Generator gen,
        CancellationToken cancellation = default, Action<DiffusionSamplingProgress>? progress = null)
        => Run(count, labels, options ?? new(), gen, cancellation, progress, null).Samples;

    /// <summary>Like <see cref="Sample"/>, also keeping x_t entering the steps <paramref name="stepIndices"/> (0-based, of S).</summary>
    public DiffusionTrajectory SampleTrajectory(int count, int[]? labels, DiffusionSamplingOptions? options, Generator gen, IReadOnlyCollection<int> stepIndices,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(stepIndices);
        return Run(count, labels, options ?? new(), gen, cancellation, null, new SortedSet<int>(stepIndices));
    }

    DiffusionTrajectory Run(int count, int[]? labels, DiffusionSamplingOptions o, Generator gen, CancellationToken ct,
        Action<DiffusionSamplingProgress>? progress, SortedSet<int>? snapAt)
    {
        ArgumentNullException.ThrowIfNull(gen);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"DiffusionPipeline.Sample: count must be ≥ 0, got {count}");
        if (labels != null)
        {
            if (NumClasses == 0) throw new ArgumentException("DiffusionPipeline.Sample: labels were given but the model is unconditional");
            if (labels.Length != count) throw new ArgumentException($"DiffusionPipeline.Sample: {labels.Length} labels for {count} samples");
            foreach (var l in labels) if (l < 0 || l > NumClasses) throw new ArgumentException($"DiffusionPipeline.Sample: label {l} is not in 0..{NumClasses} ({NumClasses} = no label)");
        }
        var step = CreateStep(o);
        var ts = Timesteps(o);
        var model = Guided(GuidanceOf(o), GuidanceIntervalOf(o));
        int per = SampleShape.Aggregate(1, (a, d) => a * d), S = ts.Length;
        var result = new float[count * per];
        var snaps = snapAt?.Where(i => i >= 0 && i < S).Select(_ => new float[count * per]).ToList();
        var snapIndex = snapAt?.Where(i => i >= 0 && i < S).ToList();
        int batches = (count + o.BatchSize - 1) / o.BatchSize;
        using var _ = Tensor.NoGrad();
        using var frozen = FrozenWeights.Begin();   // the weights are fixed for the run: convolutions pack them once
        for (int bi = 0, start = 0; start < count; bi++, start += o.BatchSize)
        {
            int b = Math.Min(o.BatchSize, count - start);
            Tensor? lab = null;
            if (NumClasses > 0)
            {
                var l = new float[b];
                for (int i = 0; i < b; i++) l[i] = labels != null ? labels[start + i] : NullLabel;
                lab = new Tensor(l, b);
            }
            var shape = new int[SampleShape.Count + 1]; shape[0] = b;
            for (int k = 0; k < SampleShape.Count; k++) shape[k + 1] = SampleShape[k];
            var x = Tensor.Randn(gen, shape);
            Tensor? prevX0 = null;
            var tRow = new int[b]; var tNext = new int[b]; var tPrev = new int[b];
            Array.Fill(tPrev, -1);
            for (int i = 0; i < S; i++)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = TensorScope.Begin();   // each step reuses the previous step's storage; x and x̂_0 are kept
                Array.Fill(tRow, ts[i]); Array.Fill(tNext, i + 1 < S ? ts[i + 1] : -1);
                if (snapIndex != null && snapIndex.IndexOf(i) is var si and >= 0) x.Data.CopyTo(snaps![si].AsSpan(start * per, b * per));
                var output = model(x, Tensor.Full(ts[i], b), lab);
                var (next, x0) = step.Step(x, output, tRow, tNext, gen, prevX0, tPrev);
                progress?.Invoke(new DiffusionSamplingProgress(bi, batches, start, new SamplingStep(i, S, ts[i], x, x0)));
                x = scope.Keep(next);
                if (step.UsesHistory) { prevX0 = scope.Keep(x0); Array.Fill(tPrev, ts[i]); }
            }
            var src = x.Data;
            for (int k = 0; k < src.Length; k++) result[start * per + k] = Math.Clamp(src[k], -1f, 1f);
        }
        var outShape = new int[SampleShape.Count + 1]; outShape[0] = count;
        for (int k = 0; k < SampleShape.Count; k++) outShape[k + 1] = SampleShape[k];
        return new DiffusionTrajectory(new Tensor(result, outShape), snapIndex?.Select(i => ts[i]).ToList() ?? new List<int>(),
            snaps?.Select(d => new Tensor(d, outShape)).ToList() ?? new List<Tensor>());
    }
}
