using System.Globalization;
using Nabla.Models;
using Nabla.IO;

namespace Nabla.Diffusion;

/// <summary>
/// Everything needed to resume DDPM training exactly or to sample: model and EMA weights, optimizer state, step,
/// the training generator's state (seed, offset), the loss history and both configurations. One safetensors file:
/// tensors <c>model.*</c>, <c>ema.*</c>, <c>optim.*</c>, <c>losses</c>; metadata <c>format</c>, <c>unet_config</c>,
/// <c>training_options</c> (JSON), <c>step</c>, <c>rng_seed</c>, <c>rng_offset</c>, <c>ema_updates</c>. Written atomically.
/// </summary>
public sealed class DdpmCheckpoint
{
    public const string FormatTag = "nabla-ddpm/1";
    public required UNetConfig Config { get; init; }
    public required DdpmTrainingOptions Options { get; init; }
    public int Step { get; init; }
    public ulong RngSeed { get; init; }
    public ulong RngOffset { get; init; }
    public long EmaUpdates { get; init; }
    public required IReadOnlyDictionary<string, Tensor> Model { get; init; }
    public required IReadOnlyDictionary<string, Tensor> Ema { get; init; }
    public required IReadOnlyDictionary<string, Tensor> Optimizer { get; init; }
    public required float[] Losses { get; init; }

    /// <summary>Writes the checkpoint to a temporary file next to <paramref name="path"/>, then renames it over the target.</summary>
    public void Write(string path)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (k, v) in Model) tensors.Add(new("model." + k, v));
        foreach (var (k, v) in Ema) tensors.Add(new("ema." + k, v));
        foreach (var (k, v) in Optimizer) tensors.Add(new("optim." + k, v));
        tensors.Add(new("losses", new Tensor((float[])Losses.Clone(), Losses.Length)));
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatTag,
            ["unet_config"] = Config.ToJson(),
            ["training_options"] = Options.ToJson(),
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["rng_seed"] = RngSeed.ToString(CultureInfo.InvariantCulture),
            ["rng_offset"] = RngOffset.ToString(CultureInfo.InvariantCulture),
            ["ema_updates"] = EmaUpdates.ToString(CultureInfo.InvariantCulture),
        };
        var w = new SafeTensorWriter();
        foreach (var (k, v) in tensors) w.Add(k, v);
        foreach (var (k, v) in meta) w.AddMetadata(k, v);
        w.Save(path);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; throws InvalidDataException naming the file and the missing or bad field.</summary>
    public static DdpmCheckpoint Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"DDPM checkpoint '{path}' does not exist", path);
        return Read(SafeTensorFile.Read(path), path);
    }

    /// <summary>Reads a checkpoint from its bytes (e.g. sent by another process); <paramref name="path"/> names it in errors.</summary>
    public static DdpmCheckpoint Read(byte[] bytes, string path) => Read(SafeTensorFile.Read(bytes, path), path);

    static DdpmCheckpoint Read(SafeTensorFile file, string path)
    {
        var tensors = file.ReadAll();
        var meta = file.Metadata;
        string M(string key) => meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"DDPM checkpoint '{path}': metadata field '{key}' is missing");
        T Parse<T>(string key, Func<string, T> parse)
        {
            var s = M(key);
            try { return parse(s); }
            catch (Exception e) when (e is FormatException or OverflowException or System.Text.Json.JsonException)
            { throw new InvalidDataException($"DDPM checkpoint '{path}': metadata field '{key}' is invalid ({e.Message})", e); }
        }
        if (M("format") != FormatTag) throw new InvalidDataException($"DDPM checkpoint '{path}': format '{M("format")}' is not {FormatTag}");
        Dictionary<string, Tensor> Part(string prefix) => tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);
        if (!tensors.TryGetValue("losses", out var losses)) throw new InvalidDataException($"DDPM checkpoint '{path}': tensor 'losses' is missing");
        var ck = new DdpmCheckpoint
        {
            Config = Parse("unet_config", UNetConfig.FromJson),
            Options = Parse("training_options", DdpmTrainingOptions.FromJson),
            Step = Parse("step", s => int.Parse(s, CultureInfo.InvariantCulture)),
            RngSeed = Parse("rng_seed", s => ulong.Parse(s, CultureInfo.InvariantCulture)),
            RngOffset = Parse("rng_offset", s => ulong.Parse(s, CultureInfo.InvariantCulture)),
            EmaUpdates = Parse("ema_updates", s => long.Parse(s, CultureInfo.InvariantCulture)),
            Model = Part("model."), Ema = Part("ema."), Optimizer = Part("optim."),
            Losses = losses.ToArray(),
        };
        if (ck.Losses.Length != ck.Step) throw new InvalidDataException($"DDPM checkpoint '{path}': {ck.Losses.Length} losses for step {ck.Step}");
        return ck;
    }

    /// <summary>A UNet with the checkpoint's EMA weights (<paramref name="ema"/>, the default: they sample better) or raw weights, in eval mode.</summary>
    public UNet BuildModel(bool ema = true)
    {
        var m = new UNet(Config, new Generator(0));
        m.LoadStateDict(ema ? Ema : Model, strict: true);
        m.Eval();
        return m;
    }
}
