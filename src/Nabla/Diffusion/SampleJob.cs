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
    internal float[]? X;                 // x_t of this request's rows, allocated when it joins the batch
    internal readonly Func<int, int> TimestepAt;
    internal readonly Func<Tensor, int, Tensor, Generator, (Tensor xPrev, Tensor x0Hat)> StepAt;

    public SampleRequest Request { get; }
    /// <summary>Steps (model calls) the request takes in all.</summary>
    public int StepCount { get; }
    /// <summary>Steps taken so far.</summary>
    public int StepsDone { get; internal set; }
    /// <summary>Whether the request has joined the running batch.</summary>
    public bool Started => X != null;
    public Task<Tensor> Completion => done.Task;

    internal SampleJob(SampleRequest request, NoiseSchedule schedule, int[] sampleShape, Action<SamplePreview>? onStep, CancellationToken ct)
    {
        Request = request; OnStep = onStep; Cancellation = ct;
        Gen = new Generator(request.Seed);
        Shape = new[] { request.Count }.Concat(sampleShape).ToArray();
        if (request.Sampler == SamplerKind.Ddim)
        {
            var ddim = new DdimSampler(schedule, request.Steps, request.Eta, request.Clip);
            var ts = ddim.Timesteps;
            StepCount = ts.Length;
            TimestepAt = i => ts[i];
            StepAt = (x, i, eps, g) => ddim.Step(x, ts[i], i + 1 < ts.Length ? ts[i + 1] : -1, eps, g);
        }
        else
        {
            var anc = new AncestralSampler(schedule, clipX0: request.Clip);
            int T = schedule.T;
            StepCount = T;
            TimestepAt = i => T - 1 - i;
            StepAt = (x, i, eps, g) => anc.Step(x, T - 1 - i, eps, g);
        }
    }

    /// <summary>x_T ~ N(0, I) from the request's generator (as the samplers' <c>Sample</c> draws it).</summary>
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
