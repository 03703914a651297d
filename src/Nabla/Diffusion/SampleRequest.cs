namespace Nabla.Diffusion;

/// <summary>The reverse process a <see cref="SampleRequest"/> runs.</summary>
public enum SamplerKind
{
    /// <summary>DDIM over <see cref="SampleRequest.Steps"/> timesteps (<see cref="DdimSampler"/>).</summary>
    Ddim,
    /// <summary>Ancestral DDPM sampling over all T timesteps (<see cref="AncestralSampler"/>).</summary>
    Ancestral,
}

/// <summary>
/// One request for <see cref="Count"/> samples of one class, as <see cref="ContinuousBatchSampler"/> serves it: its rows
/// keep their own timestep, guidance scale w (ε̂ = (1 + w)·ε(x, c) − w·ε(x, ∅)) and generator (seeded with
/// <see cref="Seed"/>, so the samples do not depend on which other requests share the batch).
/// </summary>
public sealed record SampleRequest
{
    /// <summary>Number of samples (rows of the batch).</summary>
    public int Count { get; init; } = 1;
    /// <summary>Class index for a conditional model; null samples unconditionally (the model's "no label").</summary>
    public int? Label { get; init; }
    public SamplerKind Sampler { get; init; } = SamplerKind.Ddim;
    /// <summary>DDIM steps S (ignored by <see cref="SamplerKind.Ancestral"/>, which runs T).</summary>
    public int Steps { get; init; } = 50;
    /// <summary>DDIM η ∈ [0, 1].</summary>
    public float Eta { get; init; }
    /// <summary>Classifier-free guidance scale w ≥ 0 (used only with a label).</summary>
    public float Guidance { get; init; } = 2f;
    /// <summary>Clip x̂_0 to [−1, 1].</summary>
    public bool Clip { get; init; } = true;
    /// <summary>Seed of x_T and of every noise draw of this request.</summary>
    public ulong Seed { get; init; }

    /// <summary>Number of model evaluations this request needs (S for DDIM, T for ancestral).</summary>
    public int ModelCalls(int T) => Sampler == SamplerKind.Ddim ? Steps : T;

    /// <summary>Throws ArgumentException naming the first field that is out of range for a model with
    /// <paramref name="numClasses"/> classes (0 = unconditional), <paramref name="T"/> diffusion steps and batches of
    /// at most <paramref name="maxRows"/> rows.</summary>
    public void Validate(int numClasses, int T, int maxRows)
    {
        if (Count < 1 || Count > maxRows) throw new ArgumentException($"SampleRequest.Count must be in 1..{maxRows}, got {Count}", nameof(Count));
        if (Label is int c && (numClasses == 0 || c < 0 || c >= numClasses))
            throw new ArgumentException(numClasses == 0 ? "SampleRequest.Label must be null: the model is unconditional" : $"SampleRequest.Label must be in 0..{numClasses - 1}, got {c}", nameof(Label));
        if (!Enum.IsDefined(Sampler)) throw new ArgumentException($"SampleRequest.Sampler {(int)Sampler} is not a SamplerKind", nameof(Sampler));
        if (Sampler == SamplerKind.Ddim && (Steps < 1 || Steps > T)) throw new ArgumentException($"SampleRequest.Steps must be in 1..{T}, got {Steps}", nameof(Steps));
        if (!(Eta >= 0 && Eta <= 1)) throw new ArgumentException($"SampleRequest.Eta must be in [0, 1], got {Eta}", nameof(Eta));
        if (!(Guidance >= 0) || float.IsInfinity(Guidance)) throw new ArgumentException($"SampleRequest.Guidance must be a finite number ≥ 0, got {Guidance}", nameof(Guidance));
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
