using System.Diagnostics;

namespace Nabla.Diffusion;

/// <summary>Limits and mode of a <see cref="ContinuousBatchSampler"/>.</summary>
public sealed record ContinuousBatchOptions
{
    /// <summary>Most rows (samples) in one model call, not counting the unconditional copies guidance adds.</summary>
    public int MaxBatch { get; init; } = 64;
    /// <summary>Most requests waiting to join; <see cref="ContinuousBatchSampler.Submit"/> throws <see cref="QueueFullException"/> beyond.</summary>
    public int QueueCapacity { get; init; } = 256;
    /// <summary>Whether requests join the running batch (true) or run one at a time (false, for comparison).</summary>
    public bool Batching { get; init; } = true;

    public void Validate()
    {
        if (MaxBatch < 1) throw new ArgumentException($"ContinuousBatchOptions.MaxBatch must be ≥ 1, got {MaxBatch}", nameof(MaxBatch));
        if (QueueCapacity < 1) throw new ArgumentException($"ContinuousBatchOptions.QueueCapacity must be ≥ 1 (every request waits there until the next step boundary), got {QueueCapacity}", nameof(QueueCapacity));
    }
}

/// <summary>
/// Continuous batching for diffusion sampling: one loop thread owns the model and runs the union of all started
/// requests as one batch. Every iteration is a step boundary: finished and cancelled requests leave, waiting ones
/// join (oldest first, while their rows fit in <see cref="ContinuousBatchOptions.MaxBatch"/>), then one model call
/// evaluates ε_θ(x_t, t, c) for every row at that row's own timestep t and label c — with the unconditional copy
/// ε_θ(x_t, t, ∅) of each guided row in the same call — and each request advances with its own sampler step,
/// guidance ε̂ = (1 + w)·out(x, c) − w·out(x, ∅), <see cref="ReverseStep"/> (whose rows may sit at different
/// timesteps) and generator. A request's samples are therefore what <see cref="DiffusionPipeline.Sample"/> draws alone
/// with the same seed and options (up to float rounding of the batched products).
/// </summary>
public sealed class ContinuousBatchSampler : IDisposable
{
    readonly DiffusionPipeline pipeline;
    readonly NoisePredictor model;
    /// <summary>The pipeline's weights are fixed for the sampler's life: its convolutions pack them once, for every step.</summary>
    readonly Nabla.NN.FrozenWeights packedWeights = new();
    readonly int[] sampleShape;
    readonly int sampleSize;
    readonly int numClasses;
    readonly object gate = new();
    readonly LinkedList<SampleJob> queue = new();
    readonly List<SampleJob> active = new();
    readonly Thread loop;
    bool stopping, exited;
    int activeRows;
    double stepSeconds = 0.05;           // moving average of one model call, for Retry-After estimates
    readonly TaskCompletionSource idle = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ContinuousBatchOptions Options { get; }
    public DiffusionPipeline Pipeline => pipeline;
    /// <summary>Requests waiting to join.</summary>
    public int Queued { get { lock (gate) return queue.Count; } }
    /// <summary>Rows in the running batch.</summary>
    public int ActiveRows { get { lock (gate) return activeRows; } }
    /// <summary>Requests in the running batch.</summary>
    public int ActiveRequests { get { lock (gate) return active.Count; } }
    /// <summary>Model calls made so far, and the largest batch (rows) of one call.</summary>
    public long ModelCalls { get; private set; }
    public int PeakRows { get; private set; }
    /// <summary>Whether <see cref="StopAsync"/> has begun.</summary>
    public bool IsStopping { get { lock (gate) return stopping; } }

    /// <param name="pipeline">The network (called unguided, only from the loop thread; guidance is applied per row
    /// here), its schedule, objective, classes and default guidance.</param>
    public ContinuousBatchSampler(DiffusionPipeline pipeline, ContinuousBatchOptions? options = null)
    {
        this.pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        Options = options ?? new ContinuousBatchOptions();
        Options.Validate();
        model = pipeline.Model;
        sampleShape = pipeline.SampleShape.ToArray();
        sampleSize = ShapeMath.Size(sampleShape);
        numClasses = pipeline.NumClasses;
        loop = new Thread(Loop) { IsBackground = true, Name = "Nabla continuous batch sampler" };
        loop.Start();
    }

    /// <summary>
    /// Queues <paramref name="request"/>; it joins the batch at the next step boundary with room for its rows.
    /// <paramref name="onStep"/> (optional) sees x̂_0 after every step, on the loop thread: keep it short.
    /// Cancelling <paramref name="ct"/> removes the request's rows at the next boundary.
    /// </summary>
    /// <exception cref="ArgumentException">A field of the request is out of range (named).</exception>
    /// <exception cref="QueueFullException">The queue holds <see cref="ContinuousBatchOptions.QueueCapacity"/> requests.</exception>
    /// <exception cref="SamplerStoppedException">The sampler is stopping.</exception>
    public SampleJob Submit(SampleRequest request, CancellationToken ct = default, Action<SamplePreview>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate(pipeline, Options.MaxBatch);
        var job = new SampleJob(request, pipeline, onStep, ct);
        // registered before the job is visible to the loop (a token that fires meanwhile is seen by Admit)
        job.Registration = ct.Register(() => { lock (gate) { if (queue.Remove(job)) job.Cancel(); Monitor.PulseAll(gate); } });
        lock (gate)
        {
            if (stopping || queue.Count >= Options.QueueCapacity)
            {
                job.Registration.Unregister();
                if (stopping) throw new SamplerStoppedException("ContinuousBatchSampler: stopping, no new requests");
                throw new QueueFullException(Options.QueueCapacity, EstimateWait(request));
            }
            queue.AddLast(job);
            Monitor.PulseAll(gate);
        }
        return job;
    }

    /// <summary>About how long a request like <paramref name="r"/> waits now: the queued and running work over the batch width.</summary>
    public TimeSpan EstimateWait(SampleRequest r)
    {
        lock (gate)
        {
            double rows = activeRows + queue.Sum(j => j.Request.Count);
            double perCall = Options.Batching ? Options.MaxBatch : 1;
            double calls = Math.Ceiling((rows + r.Count) / perCall) * r.Options.Steps;
            return TimeSpan.FromSeconds(Math.Max(1, calls * stepSeconds));
        }
    }

    /// <summary>
    /// Stops taking requests; running and queued ones continue for <paramref name="grace"/>, then the rest fault with
    /// <see cref="SamplerStoppedException"/>. Completes when the loop has exited.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        lock (gate) { stopping = true; Monitor.PulseAll(gate); }
        var drained = idle.Task;
        if (await Task.WhenAny(drained, Task.Delay(grace)) != drained)
        {
            lock (gate) { exited = true; Monitor.PulseAll(gate); }
            await drained;
        }
    }

    public void Dispose()
    {
        lock (gate) { stopping = true; exited = true; Monitor.PulseAll(gate); }
        loop.Join();
    }

    void Loop()
    {
        try
        {
            while (true)
            {
                lock (gate)
                {
                    Admit();
                    while (active.Count == 0 && !exited && !(stopping && queue.Count == 0))
                    {
                        Monitor.Wait(gate);
                        Admit();
                    }
                    if (exited || active.Count == 0)
                    {
                        var ex = new SamplerStoppedException("ContinuousBatchSampler: stopped before the request finished");
                        foreach (var j in active) j.Fail(ex);
                        foreach (var j in queue) j.Fail(ex);
                        active.Clear(); queue.Clear(); activeRows = 0;
                        return;
                    }
                }
                RunStep();
            }
        }
        finally { idle.TrySetResult(); }
    }

    /// <summary>Under the gate: drops cancelled requests, then moves waiting ones into the batch while they fit.</summary>
    void Admit()
    {
        for (int i = active.Count - 1; i >= 0; i--)
            if (active[i].Cancellation.IsCancellationRequested) { activeRows -= active[i].Request.Count; active[i].Cancel(); active.RemoveAt(i); }
        while (queue.First is { } node)
        {
            var job = node.Value;
            if (job.Cancellation.IsCancellationRequested) { queue.RemoveFirst(); job.Cancel(); continue; }
            bool fits = Options.Batching ? activeRows + job.Request.Count <= Options.MaxBatch : active.Count == 0;
            if (!fits) break;
            queue.RemoveFirst();
            job.Start();
            active.Add(job);
            activeRows += job.Request.Count;
        }
    }

    /// <summary>One step of every running request in one model call.</summary>
    void RunStep()
    {
        SampleJob[] jobs;
        lock (gate) jobs = active.ToArray();
        var sw = Stopwatch.StartNew();
        try
        {
            using var _ = Tensor.NoGrad();
            using var frozen = packedWeights.Use();
            using var scope = TensorScope.Begin();
            int rows = 0, guidedRows = 0;
            foreach (var j in jobs) { rows += j.Request.Count; if (j.GuidedNow) guidedRows += j.Request.Count; }
            int total = rows + guidedRows;
            var x = new float[total * sampleSize];
            var t = new float[total];
            var labels = numClasses > 0 ? new float[total] : null;
            var sizes = new List<int>(jobs.Length * 2);
            int row = 0;
            foreach (var j in jobs) Fill(j, j.LabelIndex, ref row, x, t, labels, sizes);
            foreach (var j in jobs) if (j.GuidedNow) Fill(j, pipeline.NullLabel, ref row, x, t, labels, sizes);
            var shape = new[] { total }.Concat(sampleShape).ToArray();
            var eps = model(new Tensor(x, shape), new Tensor(t, total), labels == null ? null : new Tensor(labels, total));
            var parts = eps.Split(sizes.ToArray());
            for (int k = 0, u = jobs.Length; k < jobs.Length; k++)
            {
                var j = jobs[k];
                var e = j.GuidedNow ? ClassifierFreeGuidance.Combine(parts[k], parts[u++], j.Guidance) : parts[k];
                int n = j.Request.Count, timestep = j.T;
                var (next, x0) = j.Step.Step(new Tensor(j.X!, j.Shape), e, Rows(n, timestep), Rows(n, j.TNext), j.Gen,
                    j.PrevX0 == null ? null : new Tensor(j.PrevX0, j.Shape), Rows(n, j.TPrev));
                next.Data.CopyTo(j.X);
                if (j.Step.UsesHistory) { j.PrevX0 ??= new float[j.X!.Length]; x0.Data.CopyTo(j.PrevX0); }
                j.StepsDone++;
                if (j.OnStep != null)
                {
                    var preview = x0.ToArray();
                    for (int i = 0; i < preview.Length; i++) preview[i] = Math.Clamp(preview[i], -1f, 1f);
                    try { j.OnStep(new SamplePreview(j.StepsDone - 1, j.StepCount, timestep, preview)); }
                    catch (Exception) { /* a listener's failure never stops the batch */ }
                }
            }
            ModelCalls++;
            PeakRows = Math.Max(PeakRows, rows);
        }
        catch (Exception e)
        {
            // A failing step fails the requests in it, never the loop.
            lock (gate)
            {
                foreach (var j in jobs) { active.Remove(j); activeRows -= j.Request.Count; j.Fail(e); }
            }
            return;
        }
        lock (gate)
        {
            stepSeconds = 0.8 * stepSeconds + 0.2 * sw.Elapsed.TotalSeconds;
            foreach (var j in jobs)
                if (j.StepsDone == j.StepCount) { active.Remove(j); activeRows -= j.Request.Count; j.Finish(); }
        }
    }

    static int[] Rows(int n, int t) { var a = new int[n]; Array.Fill(a, t); return a; }

    void Fill(SampleJob j, int label, ref int row, float[] x, float[] t, float[]? labels, List<int> sizes)
    {
        int n = j.Request.Count;
        j.X!.AsSpan().CopyTo(x.AsSpan(row * sampleSize, n * sampleSize));
        float ts = j.T;
        for (int i = 0; i < n; i++) { t[row + i] = ts; if (labels != null) labels[row + i] = label; }
        row += n;
        sizes.Add(n);
    }
}
