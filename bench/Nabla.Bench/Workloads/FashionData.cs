using System.Diagnostics;
using Nabla.Data;

namespace Nabla.Bench;

/// <summary>The full Fashion-MNIST splits from Debian's dataset-fashion-mnist (as the references read them).</summary>
public static class FashionData
{
    public static (LabeledDataset train, LabeledDataset test, double loadSeconds) Load(bool flatten)
    {
        var dir = Environment.GetEnvironmentVariable("FMNIST_DIR") ?? FashionMnist.SystemDirectory;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: install dataset-fashion-mnist (see ../shared/bench/WORKLOADS.md) or set FMNIST_DIR");
        var sw = Stopwatch.StartNew();
        var train = FashionMnist.LoadSplit(dir, test: false, flatten: flatten);
        var test = FashionMnist.LoadSplit(dir, test: true, flatten: flatten);
        return (train, test, sw.Elapsed.TotalSeconds);
    }
}
