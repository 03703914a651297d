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
            catch (Exception e) when (e is FormatException or OverflowException or System.Text.Json.JsonException or InvalidDataException
                                          or ArgumentException or NotSupportedException)
            { throw new InvalidDataException($"DDPM checkpoint '{path}': metadata field '{key}' is invalid ({e.Message})", e); }
        }
        if (M("format") != FormatTag) throw new InvalidDataException($"DDPM checkpoint '{path}': format '{M("format")}' is not {FormatTag}");
        Dictionary<string, Tensor> Part(string prefix) => tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);
        if (!tensors.TryGetValue("losses", out var losses)) throw new InvalidDataException($"DDPM checkpoint '{path}': tensor 'losses' is missing");
        var ck = new DdpmCheckpoint
        {
            Config = Parse("unet_config", j => { var c = UNetConfig.FromJson(j); c.Validate(); return c; }),
            Options = Parse("training_options", j => { var o = DdpmTrainingOptions.FromJson(j); o.Validate(); return o; }),
            Step = Parse("step", s => int.Parse(s, CultureInfo.InvariantCulture)),
            RngSeed = Parse("rng_seed", s => ulong.Parse(s, CultureInfo.InvariantCulture)),
            RngOffset = Parse("rng_offset", s => ulong.Parse(s, CultureInfo.InvariantCulture)),
            EmaUpdates = Parse("ema_updates", s => long.Parse(s, CultureInfo.InvariantCulture)),
            Model = Part("model."), Ema = Part("ema."), Optimizer = Part("optim."),
            Losses = losses.ToArray(),
        };
        if (ck.Losses.Length != ck.Step) throw new InvalidDataException($"DDPM checkpoint '{path}': {ck.Losses.Length} losses for step {ck.Step}");
        CheckWeightsMatchConfig(path, ck);
        return ck;
    }

    /// <summary>
    /// The model and EMA tensors must be exactly the state dict of the configuration's UNet. Before the UNet is built,
    /// a lower bound on its parameter count (the time MLP, the label table, one 3×3 convolution per block and level)
    /// must not exceed the stored elements, so a corrupt configuration never allocates far beyond the file.
    /// </summary>
    static void CheckWeightsMatchConfig(string path, DdpmCheckpoint ck)
    {
        var c = ck.Config;
        long stored = ck.Model.Values.Sum(t => (long)t.Size);
        double bound = (double)c.TimeEmbedDim * (c.SinusoidalDim + c.TimeEmbedDim) + (c.NumClasses + 1.0) * c.TimeEmbedDim;
        for (int l = 1; l <= c.Levels; l++) bound += c.ResBlocksPerLevel * 9.0 * Math.Pow((double)c.BaseChannels * c.ChannelMults[l - 1], 2);
        if (bound > stored)
            throw new InvalidDataException($"DDPM checkpoint '{path}': metadata field 'unet_config' describes a UNet of at least {bound:g3} parameters, but the file stores {stored:N0} model values");
        Dictionary<string, Tensor> expected;
        try { expected = new UNet(c, new Generator(0)).StateDict(); }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        { throw new InvalidDataException($"DDPM checkpoint '{path}': metadata field 'unet_config' is invalid ({e.Message})", e); }
        foreach (var (part, dict) in new[] { ("model", ck.Model), ("ema", ck.Ema) })
        {
            foreach (var (k, t) in expected)
            {
                if (!dict.TryGetValue(k, out var v)) throw new InvalidDataException($"DDPM checkpoint '{path}': tensor '{part}.{k}' is missing");
                if (!v.Shape.AsSpan().SequenceEqual(t.Shape))
                    throw new InvalidDataException($"DDPM checkpoint '{path}': tensor '{part}.{k}' has shape {ShapeMath.Format(v.Shape)}, the configuration needs {ShapeMath.Format(t.Shape)}");
            }
            foreach (var k in dict.Keys)
                if (!expected.ContainsKey(k)) throw new InvalidDataException($"DDPM checkpoint '{path}': tensor '{part}.{k}' is not part of the configured UNet");
        }
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
