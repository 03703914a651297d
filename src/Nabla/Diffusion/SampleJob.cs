namespace Nabla.Diffusion;

/// <summary>
/// A <see cref="SampleRequest"/> inside a <see cref="ContinuousBatchSampler"/>: waiting in the queue, then rows of the
/// running batch until its last step. <see cref="Completion"/> gives the samples [Count, C, H, W] in [−1, 1]; it is
/// cancelled when the request's token fires and faults with <see cref="SamplerStoppedException"/> at shutdown.
/// </summary>
public sealed class SampleJob
{
    readonly TaskCompletionSource<Tensor> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal readonly Action<SamplePreview>? OnStep;
    internal readonly CancellationToken Cancellation;
    internal CancellationTokenRegistration Registration;
    internal readonly Generator Gen;
    internal readonly int[] Shape;
    internal readonly ReverseStep Step;
    internal readonly int[] Timesteps;
    /// <summary>Guidance scale of the rows (0 = one unguided model row per sample).</summary>
    internal readonly float Guidance;
    readonly bool[] guidedStep;          // per step: inside the guidance interval
    internal readonly int LabelIndex;
    internal float[]? X;                 // x_t of this request's rows, allocated when it joins the batch
    internal float[]? PrevX0;            // the previous step's x̂_0 (samplers with history)

    public SampleRequest Request { get; }
    /// <summary>Steps (model calls) the request takes in all.</summary>
    public int StepCount => Timesteps.Length;
    /// <summary>Steps taken so far.</summary>
    public int StepsDone { get; internal set; }
    /// <summary>Whether the request has joined the running batch.</summary>
    public bool Started => X != null;
    public Task<Tensor> Completion => done.Task;

    internal SampleJob(SampleRequest request, DiffusionPipeline pipeline, Action<SamplePreview>? onStep, CancellationToken ct)
    {
        Request = request; OnStep = onStep; Cancellation = ct;
        Gen = new Generator(request.Seed);
        Shape = new[] { request.Count }.Concat(pipeline.SampleShape).ToArray();
        Step = pipeline.CreateStep(request.Options);
        Timesteps = pipeline.Timesteps(request.Options);
        LabelIndex = request.Label ?? pipeline.NullLabel;
        Guidance = pipeline.NumClasses > 0 && request.Label != null ? pipeline.GuidanceOf(request.Options) : 0f;
        var interval = pipeline.GuidanceIntervalOf(request.Options);
        guidedStep = Timesteps.Select(t => interval.Contains(pipeline.Schedule, t)).ToArray();
    }

    internal int T => Timesteps[StepsDone];
    /// <summary>Whether this step is guided (two network rows per sample).</summary>
    internal bool GuidedNow => Guidance > 0 && guidedStep[StepsDone];
    internal int TNext => StepsDone + 1 < Timesteps.Length ? Timesteps[StepsDone + 1] : -1;
    internal int TPrev => StepsDone > 0 && PrevX0 != null ? Timesteps[StepsDone - 1] : -1;

    /// <summary>x_T ~ N(0, I) from the request's generator (as <see cref="DiffusionPipeline.Sample"/> draws it).</summary>
    internal void Start() => X = Tensor.Randn(Gen, Shape).ToArray();

    internal void Finish()
    {
        var x = X!;
        for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i], -1f, 1f);
        Registration.Unregister();
        done.TrySetResult(new Tensor(x, Shape));
    }

    internal void Cancel() { Registration.Unregister(); done.TrySetCanceled(Cancellation.IsCancellationRequested ? Cancellation : new CancellationToken(true)); }

    internal void Fail(Exception e) { Registration.Unregister(); done.TrySetException(e); }
}
