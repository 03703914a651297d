using Nabla.Data;
using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Serve;

/// <summary>A trained denoiser as the server presents it: its sampling pipeline, network configuration, class names and provenance.</summary>
public sealed class ServedModel
{
    public DiffusionPipeline Pipeline { get; }
    public UNetConfig Config { get; }
    public NoiseSchedule Schedule => Pipeline.Schedule;
    /// <summary>Training step of the checkpoint.</summary>
    public int Step { get; }
    /// <summary>Where the weights came from (a file name, or a description).</summary>
    public string Source { get; }
    /// <summary>Names of the classes (empty for an unconditional model): Fashion-MNIST's for ten classes.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    public ServedModel(UNet network, DiffusionPipeline pipeline, int step, string source, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        Config = network.Config;
        Step = step;
        Source = source;
        int k = Config.NumClasses;
        if (pipeline.NumClasses != k) throw new ArgumentException($"ServedModel: the pipeline has {pipeline.NumClasses} classes, the network {k}", nameof(pipeline));
        ClassNames = classNames ?? (k == FashionMnist.ClassNames.Count ? FashionMnist.ClassNames : Enumerable.Range(0, k).Select(i => $"class {i}").ToArray());
        if (ClassNames.Count != k) throw new ArgumentException($"ServedModel: {ClassNames.Count} class names for a model of {k} classes", nameof(classNames));
    }

    /// <summary>The EMA weights of a DDPM checkpoint (see <see cref="DdpmCheckpoint"/>) with its schedule, objective and default guidance.</summary>
    public static ServedModel FromCheckpoint(string path)
    {
        var ck = DdpmCheckpoint.Read(path);
        var net = ck.BuildModel(ema: true);
        return new ServedModel(net, DiffusionPipeline.ForTrained(net, ck.Options, ck.Step), ck.Step, Path.GetFileName(path));
    }
}
