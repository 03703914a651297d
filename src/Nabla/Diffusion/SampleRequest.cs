namespace Nabla.Diffusion;

/// <summary>
/// One request for <see cref="Count"/> samples of one class, as <see cref="ContinuousBatchSampler"/> serves it: its rows
/// keep their own timestep, sampler (<see cref="Options"/>: kind, steps, spacing, η, clipping), guidance scale w
/// (ε̂ = (1 + w)·out(x, c) − w·out(x, ∅)) and generator seeded with <see cref="Seed"/>, so its samples are those
/// <see cref="DiffusionPipeline.Sample"/> draws for the same arguments whatever else shares the batch.
/// </summary>
public sealed record SampleRequest
{
    /// <summary>Number of samples (rows of the batch).</summary>
    public int Count { get; init; } = 1;
    /// <summary>Class index for a conditional model; null samples unconditionally (the model's "no label", unguided).</summary>
    public int? Label { get; init; }
    /// <summary>The sampler; <see cref="DiffusionSamplingOptions.BatchSize"/> is not used (the batch is shared).</summary>
    public DiffusionSamplingOptions Options { get; init; } = new();
    /// <summary>Seed of x_T and of every noise draw of this request.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws ArgumentException naming the first field that is out of range for <paramref name="pipeline"/> and
    /// batches of at most <paramref name="maxRows"/> rows.</summary>
    public void Validate(DiffusionPipeline pipeline, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (Count < 1 || Count > maxRows) throw new ArgumentException($"SampleRequest.Count must be in 1..{maxRows}, got {Count}", nameof(Count));
        int k = pipeline.NumClasses;
        if (Label is int c && (k == 0 || c < 0 || c >= k))
            throw new ArgumentException(k == 0 ? "SampleRequest.Label must be null: the model is unconditional" : $"SampleRequest.Label must be in 0..{k - 1}, got {c}", nameof(Label));
        ArgumentNullException.ThrowIfNull(Options, nameof(Options));
        try { Options.Validate(pipeline.Schedule.T); }
        catch (ArgumentException e) { throw new ArgumentException(e.Message, nameof(Options), e); }
    }
}

/// <summary>What a request's rows look like after one step: x̂_0 [Count, C, H, W] clamped to [−1, 1] (a fresh copy).</summary>
/// <param name="Index">0-based number of the step just taken.</param>
/// <param name="Count">Steps of the request in all.</param>
/// <param name="Timestep">The timestep t denoised by this step.</param>
/// <param name="X0Hat">The prediction of the clean samples, row-major.</param>
public readonly record struct SamplePreview(int Index, int Count, int Timestep, float[] X0Hat);

/// <summary>Thrown by <see cref="ContinuousBatchSampler.Submit"/> when the waiting queue is full.</summary>
public sealed class QueueFullException : InvalidOperationException
{
    /// <summary>A guess of when a slot frees up, from the measured step time.</summary>
    public TimeSpan RetryAfter { get; }
    public QueueFullException(int capacity, TimeSpan retryAfter) : base($"ContinuousBatchSampler: the queue of {capacity} waiting requests is full") => RetryAfter = retryAfter;
}

/// <summary>Thrown into requests that were still running when <see cref="ContinuousBatchSampler.StopAsync"/>'s grace period ended,
/// and by <see cref="ContinuousBatchSampler.Submit"/> once stopping has begun.</summary>
public sealed class SamplerStoppedException : InvalidOperationException
{
    public SamplerStoppedException(string message) : base(message) { }
}
