using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nabla.Models;

/// <summary>How a UNet level doubles its resolution on the way up.</summary>
public enum UpsampleMode
{
    /// <summary>ConvTranspose2d(c, c, kernel 4, stride 2, padding 1) (the `ddpm` workload).</summary>
    TransposedConv,
    /// <summary>Nearest-neighbour ×2 then Conv2d(c, c, 3, padding 1) (no checkerboard artefacts).</summary>
    NearestConv,
}

/// <summary>
/// Shape of a <see cref="UNet"/>: level l (1-based) runs at resolution size/2^(l−1) with BaseChannels·ChannelMults[l−1]
/// channels. Serializable to JSON (checkpoints store it).
/// </summary>
public sealed record UNetConfig
{
    /// <summary>Image channels in and out (ε has the shape of x).</summary>
    public int InChannels { get; init; } = 1;
    /// <summary>Height = width of the images; must be divisible by 2^levels.</summary>
    public int ImageSize { get; init; } = 28;
    /// <summary>Channels after conv_in.</summary>
    public int BaseChannels { get; init; } = 32;
    /// <summary>Channel multiplier per level; the number of entries is the number of levels (each halves the resolution).</summary>
    public int[] ChannelMults { get; init; } = { 1, 2 };
    /// <summary>Residual blocks per level on each path (≥ 1).</summary>
    public int ResBlocksPerLevel { get; init; } = 1;
    /// <summary>GroupNorm groups (must divide every channel count).</summary>
    public int Groups { get; init; } = 8;
    /// <summary>Width of the sinusoidal embedding of t.</summary>
    public int SinusoidalDim { get; init; } = 64;
    /// <summary>Width of the time embedding after its MLP.</summary>
    public int TimeEmbedDim { get; init; } = 128;
    /// <summary>Levels (1-based) with a self-attention block after their residual blocks, on both paths.</summary>
    public int[] AttentionLevels { get; init; } = Array.Empty<int>();
    /// <summary>Self-attention between the two middle residual blocks (at the lowest resolution).</summary>
    public bool MidAttention { get; init; }
    /// <summary>Attention heads (must divide the channels where attention is used).</summary>
    public int AttentionHeads { get; init; } = 1;
    /// <summary>Number of classes for conditioning (0 = unconditional). The label embedding has NumClasses + 1 rows; the last is "no label".</summary>
    public int NumClasses { get; init; }
    /// <summary>How the up path doubles the resolution.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public UpsampleMode Upsample { get; init; } = UpsampleMode.TransposedConv;

    /// <summary>Number of levels.</summary>
    [JsonIgnore] public int Levels => ChannelMults.Length;
    /// <summary>Channels of level <paramref name="level"/> (1-based).</summary>
    public int Channels(int level) => BaseChannels * ChannelMults[level - 1];
    /// <summary>The "no label" index (= NumClasses).</summary>
    [JsonIgnore] public int NullLabel => NumClasses;

    /// <summary>Throws ArgumentException naming the first inconsistent setting.</summary>
    public void Validate()
    {
        void Fail(string m) => throw new ArgumentException($"UNetConfig: {m}");
        if (InChannels <= 0) Fail($"InChannels must be positive, got {InChannels}");
        if (BaseChannels <= 0) Fail($"BaseChannels must be positive, got {BaseChannels}");
        if (ChannelMults == null || ChannelMults.Length == 0) Fail("ChannelMults needs at least one level");
        foreach (var m in ChannelMults!) if (m <= 0) Fail($"ChannelMults must be positive, got [{string.Join(", ", ChannelMults)}]");
        if (ResBlocksPerLevel < 1) Fail($"ResBlocksPerLevel must be ≥ 1, got {ResBlocksPerLevel}");
        if (Groups <= 0) Fail($"Groups must be positive, got {Groups}");
        for (int l = 1; l <= Levels; l++)
            if (Channels(l) % Groups != 0) Fail($"Groups {Groups} does not divide level {l}'s {Channels(l)} channels");
        if (ImageSize <= 0 || ImageSize % (1 << Levels) != 0) Fail($"ImageSize {ImageSize} must be divisible by 2^{Levels} = {1 << Levels} (one halving per level)");
        if (SinusoidalDim <= 0 || SinusoidalDim % 2 != 0) Fail($"SinusoidalDim must be positive and even, got {SinusoidalDim}");
        if (TimeEmbedDim <= 0) Fail($"TimeEmbedDim must be positive, got {TimeEmbedDim}");
        if (NumClasses < 0) Fail($"NumClasses must be ≥ 0, got {NumClasses}");
        if (AttentionHeads <= 0) Fail($"AttentionHeads must be positive, got {AttentionHeads}");
        foreach (var l in AttentionLevels ?? Array.Empty<int>())
        {
            if (l < 1 || l > Levels) Fail($"AttentionLevels entry {l} is not a level in 1..{Levels}");
            if (Channels(l) % AttentionHeads != 0) Fail($"AttentionHeads {AttentionHeads} does not divide level {l}'s {Channels(l)} channels");
        }
        if (MidAttention && Channels(Levels) % AttentionHeads != 0) Fail($"AttentionHeads {AttentionHeads} does not divide the middle's {Channels(Levels)} channels");
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    /// <summary>The configuration as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
    /// <summary>Parses <see cref="ToJson"/>'s output.</summary>
    public static UNetConfig FromJson(string json) => JsonSerializer.Deserialize<UNetConfig>(json, Json) ?? throw new InvalidDataException("UNetConfig: empty JSON");

    public bool Equals(UNetConfig? o) => o is not null && ToJson() == o.ToJson();
    public override int GetHashCode() => ToJson().GetHashCode();
}
