using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nabla.Diffusion;

/// <summary>Hyperparameters of DDPM training (stored in checkpoints as JSON).</summary>
public sealed record DdpmTrainingOptions
{
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

    /// <summary>Throws ArgumentException naming the first invalid setting.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"DdpmTrainingOptions: BatchSize must be ≥ 1, got {BatchSize}");
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) throw new ArgumentException($"DdpmTrainingOptions: LearningRate must be a positive number, got {LearningRate}");
        if (DiffusionSteps < 2) throw new ArgumentException($"DdpmTrainingOptions: DiffusionSteps must be ≥ 2, got {DiffusionSteps}");
        if (!(LabelDropout >= 0 && LabelDropout <= 1)) throw new ArgumentException($"DdpmTrainingOptions: LabelDropout must be in [0, 1], got {LabelDropout}");
        if (!(EmaMaxDecay >= 0 && EmaMaxDecay < 1)) throw new ArgumentException($"DdpmTrainingOptions: EmaMaxDecay must be in [0, 1), got {EmaMaxDecay}");
    }

    public string ToJson() => JsonSerializer.Serialize(this);
    public static DdpmTrainingOptions FromJson(string json) => JsonSerializer.Deserialize<DdpmTrainingOptions>(json) ?? throw new InvalidDataException("DdpmTrainingOptions: empty JSON");
}
