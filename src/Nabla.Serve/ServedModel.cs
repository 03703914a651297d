using Nabla.Data;
using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Serve;

/// <summary>A trained denoiser as the server presents it: the network, its noise schedule, class names and provenance.</summary>
public sealed class ServedModel
{
    public UNet Network { get; }
    public NoiseSchedule Schedule { get; }
    public UNetConfig Config => Network.Config;
    /// <summary>Training step of the checkpoint.</summary>
    public int Step { get; }
    /// <summary>Where the weights came from (a file name, or a description).</summary>
    public string Source { get; }
    /// <summary>Names of the classes (empty for an unconditional model): Fashion-MNIST's for ten classes.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>What the network predicts.</summary>
    public string Objective => "epsilon";
    /// <summary>Guidance scale used when a request gives none.</summary>
    public float DefaultGuidance { get; init; } = 2f;

    public ServedModel(UNet network, NoiseSchedule schedule, int step, string source, IReadOnlyList<string>? classNames = null)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Step = step;
        Source = source;
        int k = network.Config.NumClasses;
        ClassNames = classNames ?? (k == FashionMnist.ClassNames.Count ? FashionMnist.ClassNames : Enumerable.Range(0, k).Select(i => $"class {i}").ToArray());
        if (ClassNames.Count != k) throw new ArgumentException($"ServedModel: {ClassNames.Count} class names for a model of {k} classes", nameof(classNames));
    }

    /// <summary>The EMA weights of a DDPM checkpoint (see <see cref="DdpmCheckpoint"/>).</summary>
    public static ServedModel FromCheckpoint(string path)
    {
        var ck = DdpmCheckpoint.Read(path);
        return new ServedModel(ck.BuildModel(ema: true), NoiseSchedule.Create(ck.Options.Schedule, ck.Options.DiffusionSteps), ck.Step, Path.GetFileName(path));
    }
}
