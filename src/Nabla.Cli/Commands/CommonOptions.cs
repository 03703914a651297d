using System.CommandLine;
using Nabla.Data;

namespace Nabla.Cli.Commands;

/// <summary>
/// The option definitions several commands share (<c>--seed</c>, <c>--out</c>, <c>--data</c>, <c>--checkpoint</c>),
/// the checkpoint file name every training command writes, and what <c>--data</c> resolves to.
/// </summary>
public static class CommonOptions
{
    /// <summary>The file a training command writes in its output folder.</summary>
    public const string CheckpointFile = "checkpoint.safetensors";

    /// <summary>What <c>--data</c> means (see <see cref="FashionMnist.Locate"/>).</summary>
    public const string DataHelp = "Folder of Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist, else the embedded 9,000/1,000 split)";

    /// <summary><c>--seed S</c> (default 0): what the seed drives goes in <paramref name="description"/>.</summary>
    public static Option<ulong> Seed(string description) => new("--seed") { Description = description, DefaultValueFactory = _ => 0UL };

    /// <summary><c>--data DIR</c>, optional (see <see cref="DataHelp"/>).</summary>
    public static Option<string?> DataFolder(string description = DataHelp) => new("--data") { Description = description };

    /// <summary>An optional <c>--out</c> folder whose default the command picks.</summary>
    public static Option<string?> OutFolder(string description) => new("--out") { Description = description };

    /// <summary><c>--out FILE</c> with a default file name.</summary>
    public static Option<string> OutFile(string description, string defaultFile) =>
        new("--out") { Description = description, DefaultValueFactory = _ => defaultFile };

    /// <summary>The required <c>--checkpoint F</c>, written by <paramref name="writtenBy"/> (e.g. "nabla vae train").</summary>
    public static Option<string> Checkpoint(string writtenBy) =>
        new("--checkpoint") { Description = $"{CheckpointFile} written by `{writtenBy}`", Required = true };

    /// <summary>Loads training and test data from <c>--data</c> (see <see cref="FashionMnist.Load"/>) and prints where they came from.</summary>
    public static TrainTestData LoadData(string? dir, bool flatten)
    {
        var d = FashionMnist.Load(dir, flatten);
        Console.WriteLine($"data: {d.Source.Description}; {d.Train.Count:N0} training, {d.Test.Count:N0} test images");
        return d;
    }

    /// <summary>Creates the output folder and returns the path of its checkpoint.</summary>
    public static string CheckpointIn(string outDir)
    {
        Directory.CreateDirectory(outDir);
        return Path.Combine(outDir, CheckpointFile);
    }
}
