using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>Named network sizes for `nabla ddpm train --preset`.</summary>
public static class DdpmPresets
{
    /// <summary>Preset names with a one-line description.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new Dictionary<string, string>
    {
        ["small"] = "the `ddpm` benchmark's UNet (32/64 channels, 1 block per level, 628k parameters): recognizable guided samples in ~10 min on 2 cores",
        ["tiny"] = "16/32 channels (160k parameters): a quick smoke test",
        ["medium"] = "32/64 channels, 2 blocks per level, self-attention at 7×7 (1.2M parameters): better samples, ~2× slower",
    };

    /// <summary>The UNet configuration of a preset for 28×28×1 images, with <paramref name="numClasses"/> classes (0 = unconditional).</summary>
    public static UNetConfig Get(string name, int numClasses) => name.ToLowerInvariant() switch
    {
        "small" => UNet.DdpmWorkloadConfig(numClasses),
        "tiny" => new UNetConfig { BaseChannels = 16, ChannelMults = new[] { 1, 2 }, Groups = 8, TimeEmbedDim = 64, SinusoidalDim = 32, NumClasses = numClasses },
        "medium" => new UNetConfig { BaseChannels = 32, ChannelMults = new[] { 1, 2 }, ResBlocksPerLevel = 2, MidAttention = true, AttentionHeads = 4, NumClasses = numClasses },
        _ => throw new ArgumentException($"unknown preset '{name}'; choose one of: {string.Join(", ", Descriptions.Keys)}"),
    };
}
