using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nabla.Diffusion;

/// <summary>
/// Hyperparameters of DDPM training (stored in checkpoints as JSON). The defaults are the `ddpm` benchmark workload's
/// (ε objective, plain MSE, Adam 2e-4, as the PyTorch reference); <see cref="MainJob"/> is the measured recipe of
/// `nabla ddpm train`.
/// </summary>
public sealed record DdpmTrainingOptions
{
    /// <summary>
    /// The recipe of `nabla ddpm train`, chosen by measuring Fréchet distance and class accuracy of 2,000 samples at
    /// equal budgets (README, "The default recipe"): v objective with min-SNR-5 weighting (min(SNR, γ)/(SNR + 1)),
    /// cosine β rescaled to zero terminal SNR, Adam 1e-3 (5× the workload's 2e-4: at 900 steps FD 14.9 against 23.9)
    /// falling linearly to 0 over the last half of the run (its time budget), EMA 0.999, label dropout 0.1, and
    /// guidance applied only where σ = √((1 − ᾱ_t)/ᾱ_t) ∈ (0.3, 5] (Kynkäänniemi et al. 2024) with w = 5 for a young
    /// model, falling linearly to w = 2.25 between steps 850 and 2,000. On the 2-core Zen 5, whose 10-minute budget
    /// reaches 2,000–2,150 steps, the README command's run (2,146 steps) gives 97.3 % class accuracy and FD 7.9 at
    /// w = 2.25 (2.5: 97.8 % / 8.7; the recipe before this work 95.6 % / 13.8; without the decay, at 1,977 steps,
    /// w = 2.5 gave 97.2 % / 9.1); on the 2-core Zen 3 (849 steps, constant rate) w = 5 gave 97.8 % / 15.7 against 33.8.
    /// </summary>
    public static DdpmTrainingOptions MainJob { get; } = new()
    {
        LearningRate = 1e-3f, LearningRateDecayFraction = 0.5f, MinSnrGamma = 5f, Objective = Prediction.V, Schedule = BetaSchedule.Cosine, ZeroTerminalSnr = true,
        DefaultGuidance = 5f, LateGuidance = 2.25f, GuidanceRampFromStep = 850, LateGuidanceFromStep = 2000, GuidanceSigmaLow = 0.3f, GuidanceSigmaHigh = 5f,
    };

    /// <summary>
    /// Share of the run at its end over which the learning rate falls linearly to 0 (0 = constant): with p the run's
    /// progress, lr(p) = lr · min(1, (1 − p)/f). p follows the run's length — its step cap (step / cap) or its time
    /// budget (elapsed / budget), whichever is further along — so on a faster machine the same budget decays over more
    /// steps (see <see cref="LearningRateFactor"/>).
    /// </summary>
    public float LearningRateDecayFraction { get; init; }

    /// <summary>The factor lr(p)/lr at run progress <paramref name="progress"/> ∈ [0, 1] (see <see cref="LearningRateDecayFraction"/>).</summary>
    public double LearningRateFactor(double progress) =>
        LearningRateDecayFraction <= 0 ? 1 : Math.Clamp((1 - progress) / LearningRateDecayFraction, 0, 1);

    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Adam learning rate.</summary>
    public float LearningRate { get; init; } = 2e-4f;
    /// <summary>β schedule.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public BetaSchedule Schedule { get; init; } = BetaSchedule.Linear;
    /// <summary>Number of diffusion steps T.</summary>
    public int DiffusionSteps { get; init; } = 1000;
    /// <summary>Probability of replacing a label by "no label" (trains the unconditional model used by classifier-free guidance).</summary>
    public float LabelDropout { get; init; } = 0.1f;
    /// <summary>Upper bound of the EMA decay.</summary>
    public float EmaMaxDecay { get; init; } = 0.999f;
    /// <summary>Seed of the model initialisation and of every training draw.</summary>
    public ulong Seed { get; init; }
    /// <summary>What the network predicts (ε, x_0 or v); every sampler reads it from the checkpoint.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public Prediction Objective { get; init; } = Prediction.Epsilon;
    /// <summary>γ of min-SNR-γ loss weighting (Hang et al. 2023; 5 in the paper); 0 = unweighted MSE.</summary>
    public float MinSnrGamma { get; init; }
    /// <summary>Rescale the schedule to zero terminal SNR (Lin et al. 2024); needs the v or x0 objective.</summary>
    public bool ZeroTerminalSnr { get; init; }
    /// <summary>The classifier-free guidance scale samplers use when not told otherwise (up to <see cref="GuidanceRampFromStep"/>).</summary>
    public float DefaultGuidance { get; init; } = 2f;
    /// <summary>The default guidance of a checkpoint trained for at least <see cref="LateGuidanceFromStep"/> steps (null = always
    /// <see cref="DefaultGuidance"/>): strong guidance helps a young model and costs a mature one diversity.</summary>
    public float? LateGuidance { get; init; }
    /// <summary>Training step from which <see cref="LateGuidance"/> is the default.</summary>
    public long LateGuidanceFromStep { get; init; }
    /// <summary>Training step from which the default moves linearly from <see cref="DefaultGuidance"/> (here) to
    /// <see cref="LateGuidance"/> (at <see cref="LateGuidanceFromStep"/>); null = a sharp switch there.</summary>
    public long? GuidanceRampFromStep { get; init; }
    /// <summary>Lower σ bound of the default <see cref="GuidanceInterval"/> (0 = none).</summary>
    public float GuidanceSigmaLow { get; init; }
    /// <summary>Upper σ bound of the default <see cref="GuidanceInterval"/> (null = none).</summary>
    public float? GuidanceSigmaHigh { get; init; }
    /// <summary>The default guidance scale of a checkpoint at training step <paramref name="step"/>.</summary>
    public float GuidanceAt(long step)
    {
        if (LateGuidance is not { } late) return DefaultGuidance;
        if (step >= LateGuidanceFromStep) return late;
        long from = GuidanceRampFromStep ?? LateGuidanceFromStep;
        if (step <= from) return DefaultGuidance;
        double f = (double)(step - from) / (LateGuidanceFromStep - from);
        return (float)(DefaultGuidance + f * (late - DefaultGuidance));
    }

    /// <summary>Where samplers apply guidance when not told otherwise.</summary>
    [JsonIgnore]
    public GuidanceInterval DefaultGuidanceInterval => new(GuidanceSigmaLow, GuidanceSigmaHigh ?? double.PositiveInfinity);

    /// <summary>These options with <paramref name="interval"/> as the default guidance interval.</summary>
    public DdpmTrainingOptions WithGuidanceInterval(GuidanceInterval interval) => this with
    {
        GuidanceSigmaLow = (float)interval.SigmaLow,
        GuidanceSigmaHigh = double.IsPositiveInfinity(interval.SigmaHigh) ? null : (float)interval.SigmaHigh,
    };

    /// <summary>Throws ArgumentException naming the first invalid setting.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"DdpmTrainingOptions: BatchSize must be ≥ 1, got {BatchSize}");
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) throw new ArgumentException($"DdpmTrainingOptions: LearningRate must be a positive number, got {LearningRate}");
        if (!(LearningRateDecayFraction >= 0 && LearningRateDecayFraction <= 1)) throw new ArgumentException($"DdpmTrainingOptions: LearningRateDecayFraction must be in [0, 1] (0 = constant), got {LearningRateDecayFraction}");
        if (DiffusionSteps < 2) throw new ArgumentException($"DdpmTrainingOptions: DiffusionSteps must be ≥ 2, got {DiffusionSteps}");
        if (!(LabelDropout >= 0 && LabelDropout <= 1)) throw new ArgumentException($"DdpmTrainingOptions: LabelDropout must be in [0, 1], got {LabelDropout}");
        if (!(EmaMaxDecay >= 0 && EmaMaxDecay < 1)) throw new ArgumentException($"DdpmTrainingOptions: EmaMaxDecay must be in [0, 1), got {EmaMaxDecay}");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentException($"DdpmTrainingOptions: unknown Schedule {Schedule}");
        if (!Enum.IsDefined(Objective)) throw new ArgumentException($"DdpmTrainingOptions: unknown Objective {Objective}");
        if (!(MinSnrGamma >= 0) || float.IsInfinity(MinSnrGamma)) throw new ArgumentException($"DdpmTrainingOptions: MinSnrGamma must be ≥ 0 (0 = off), got {MinSnrGamma}");
        if (ZeroTerminalSnr && Objective == Prediction.Epsilon) throw new ArgumentException("DdpmTrainingOptions: ZeroTerminalSnr needs Objective V or X0 (ε̂ carries no information about x_0 where ᾱ = 0)");
        if (!(DefaultGuidance >= 0) || float.IsInfinity(DefaultGuidance)) throw new ArgumentException($"DdpmTrainingOptions: DefaultGuidance must be a finite number ≥ 0, got {DefaultGuidance}");
        if (LateGuidance is { } lg && (!(lg >= 0) || float.IsInfinity(lg))) throw new ArgumentException($"DdpmTrainingOptions: LateGuidance must be a finite number ≥ 0, got {lg}");
        if (GuidanceRampFromStep is { } rf && (rf < 0 || rf > LateGuidanceFromStep)) throw new ArgumentException($"DdpmTrainingOptions: GuidanceRampFromStep must be in 0..LateGuidanceFromStep ({LateGuidanceFromStep}), got {rf}");
        if (LateGuidanceFromStep < 0) throw new ArgumentException($"DdpmTrainingOptions: LateGuidanceFromStep must be ≥ 0, got {LateGuidanceFromStep}");
        if (!(GuidanceSigmaLow >= 0) || float.IsInfinity(GuidanceSigmaLow)) throw new ArgumentException($"DdpmTrainingOptions: GuidanceSigmaLow must be a finite number ≥ 0, got {GuidanceSigmaLow}");
        if (GuidanceSigmaHigh is { } hi && !(hi > GuidanceSigmaLow)) throw new ArgumentException($"DdpmTrainingOptions: GuidanceSigmaHigh must be greater than GuidanceSigmaLow ({GuidanceSigmaLow}), got {hi}");
    }

    /// <summary>The forward process these options describe.</summary>
    public NoiseSchedule CreateSchedule() => NoiseSchedule.Create(Schedule, DiffusionSteps, ZeroTerminalSnr);

    public string ToJson() => JsonSerializer.Serialize(this);
    public static DdpmTrainingOptions FromJson(string json) => JsonSerializer.Deserialize<DdpmTrainingOptions>(json) ?? throw new InvalidDataException("DdpmTrainingOptions: empty JSON");
}
