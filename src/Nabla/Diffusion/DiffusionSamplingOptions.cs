namespace Nabla.Diffusion;

/// <summary>How <see cref="DiffusionPipeline"/> draws samples.</summary>
public sealed record DiffusionSamplingOptions
{
    /// <summary>Default <see cref="Steps"/>: 15 DPM-Solver++(2M) steps (Lu et al. 2022 report near-converged guided samples at 15–20).</summary>
    public const int DefaultSteps = 15;
    /// <summary>The reverse update (default DPM-Solver++(2M)).</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.DpmSolverPP2M;
    /// <summary>Model calls per sample S (1 … T); <see cref="SamplerKind.Ancestral"/> with S = T is Ho et al.'s Algorithm 2.</summary>
    public int Steps { get; init; } = DefaultSteps;
    /// <summary>Which S of the T timesteps are visited.</summary>
    public TimestepSpacing Spacing { get; init; } = TimestepSpacing.Trailing;
    /// <summary>DDIM noise scale η ∈ [0, 1].</summary>
    public float Eta { get; init; }
    /// <summary>Classifier-free guidance scale w ≥ 0 for conditional rows; null = the pipeline's default (the checkpoint's).</summary>
    public float? Guidance { get; init; }
    /// <summary>Where guidance applies (<see cref="Diffusion.GuidanceInterval"/>, by noise level σ); null = the pipeline's default (the checkpoint's).</summary>
    public GuidanceInterval? GuidanceInterval { get; init; }
    /// <summary>Clip x̂_0 to [−1, 1] at every step.</summary>
    public bool ClipX0 { get; init; } = true;
    /// <summary>Rows per model call (memory bound; guidance doubles the rows the network sees).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Throws ArgumentException naming the first invalid setting for a T-step schedule.</summary>
    public void Validate(int T)
    {
        if (!Enum.IsDefined(Sampler)) throw new ArgumentException($"DiffusionSamplingOptions: unknown Sampler {Sampler}");
        if (!Enum.IsDefined(Spacing)) throw new ArgumentException($"DiffusionSamplingOptions: unknown Spacing {Spacing}");
        if (Steps < 1 || Steps > T) throw new ArgumentException($"DiffusionSamplingOptions: Steps must be in 1..{T} (the schedule's T), got {Steps}");
        if (!(Eta >= 0 && Eta <= 1)) throw new ArgumentException($"DiffusionSamplingOptions: Eta must be in [0, 1], got {Eta}");
        if (Guidance is { } g && (!(g >= 0) || float.IsInfinity(g))) throw new ArgumentException($"DiffusionSamplingOptions: Guidance must be a finite number ≥ 0, got {g}");
        GuidanceInterval?.Validate();
        if (BatchSize < 1) throw new ArgumentException($"DiffusionSamplingOptions: BatchSize must be ≥ 1, got {BatchSize}");
    }

    /// <summary>A one-line description, e.g. "DPM-Solver++(2M) 15 steps (trailing), x̂₀ clipped, guidance w = 2".</summary>
    public string Describe(bool conditional, float defaultGuidance) => Describe(conditional, defaultGuidance, Diffusion.GuidanceInterval.Everywhere);

    /// <summary>The description with the guidance interval the options resolve to (when not everywhere).</summary>
    public string Describe(bool conditional, float defaultGuidance, GuidanceInterval defaultInterval)
    {
        string s = Sampler switch
        {
            SamplerKind.Ddim => $"DDIM {Steps} steps, η = {Eta}",
            SamplerKind.Ancestral => $"ancestral {Steps} steps, σ² = β̃",
            SamplerKind.DpmSolverPP2M => $"DPM-Solver++(2M) {Steps} steps",
            SamplerKind.Euler => $"Euler {Steps} steps",
            _ => Sampler.ToString(),
        };
        if (Steps > 1) s += $" ({Spacing.ToString().ToLowerInvariant()})";
        var interval = GuidanceInterval ?? defaultInterval;
        return s + (ClipX0 ? ", x̂₀ clipped" : "") + (conditional ? $", guidance w = {(Guidance ?? defaultGuidance).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}" : "")
            + (conditional && !interval.IsEverywhere ? $" at {interval}" : "");
    }
}

/// <summary>Reported after every step of every batch of <see cref="DiffusionPipeline.Sample"/>.</summary>
/// <param name="Batch">0-based batch number.</param>
/// <param name="BatchCount">Number of batches.</param>
/// <param name="FirstRow">Index of the batch's first sample in the result.</param>
/// <param name="Step">The step (its tensors are valid only inside the callback).</param>
public readonly record struct DiffusionSamplingProgress(int Batch, int BatchCount, int FirstRow, SamplingStep Step);

/// <summary>Samples and the states x_t of the chain at chosen steps (see <see cref="DiffusionPipeline.SampleTrajectory"/>).</summary>
/// <param name="Samples">x_0 [N, C, H, W] in [−1, 1].</param>
/// <param name="Timesteps">The timestep of each snapshot.</param>
/// <param name="Snapshots">x_t [N, C, H, W] entering each chosen step.</param>
public sealed record DiffusionTrajectory(Tensor Samples, IReadOnlyList<int> Timesteps, IReadOnlyList<Tensor> Snapshots);
