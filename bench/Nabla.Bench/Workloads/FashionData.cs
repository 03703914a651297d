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

/// <summary>
/// Mini-batches of a data set gathered into two reused buffers (full batches, and the smaller last one): one block
/// copy per image, no allocation per step. A yielded batch is valid until the next one is requested.
/// </summary>
public sealed class BatchGatherer
{
    readonly LabeledDataset data;
    readonly int batch, row;
    readonly Tensor full, tail;
    readonly int[] fullLabels, tailLabels;

    public BatchGatherer(LabeledDataset data, int batch)
    {
        this.data = data; this.batch = batch;
        row = data.SampleSize;
        int rest = data.Count % batch;
        full = new Tensor(new float[batch * row], Shape(batch));
        tail = new Tensor(new float[Math.Max(rest, 1) * row], Shape(Math.Max(rest, 1)));
        fullLabels = new int[batch];
        tailLabels = new int[Math.Max(rest, 1)];
    }

    int[] Shape(int n) { var s = data.Inputs.Shape; s[0] = n; return s; }

    public int BatchCount => (data.Count + batch - 1) / batch;

    /// <summary>One epoch in the order of <paramref name="order"/> (a permutation), or in file order when null.</summary>
    public IEnumerable<(Tensor X, int[] Labels)> Epoch(int[]? order)
    {
        var src = data.Inputs.data;
        for (int start = 0; start < data.Count; start += batch)
        {
            int count = Math.Min(batch, data.Count - start);
            var (x, y) = count == batch ? (full, fullLabels) : (tail, tailLabels);
            if (order is null)
            {
                Array.Copy(src, (long)start * row, x.data, 0, (long)count * row);
                Array.Copy(data.Labels, start, y, 0, count);
            }
            else
                for (int i = 0; i < count; i++)
                {
                    int k = order[start + i];
                    Array.Copy(src, (long)k * row, x.data, (long)i * row, row);
                    y[i] = data.Labels[k];
                }
            yield return (x, y);
        }
    }
}
