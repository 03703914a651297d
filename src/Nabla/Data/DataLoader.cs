namespace Nabla.Data;

/// <summary>One mini-batch: inputs [B, …] and their labels.</summary>
public sealed record Batch(Tensor X, int[] Labels)
{
    /// <summary>Number of samples B.</summary>
    public int Count => Labels.Length;
    /// <summary>The labels as a float tensor [B] (for losses that take class indices as a tensor).</summary>
    public Tensor LabelTensor()
    {
        var d = new float[Labels.Length];
        for (int i = 0; i < d.Length; i++) d[i] = Labels[i];
        return new Tensor(d, d.Length);
    }
}

/// <summary>
/// Iterates a <see cref="LabeledDataset"/> in batches, as PyTorch's DataLoader: full batch (B = N), mini-batch
/// and batch 1 — the notes' three regimes of gradient descent. Each enumeration is one epoch; with
/// <c>shuffle</c>, every epoch draws a new permutation from the <see cref="Generator"/>, so a seed fixes the
/// whole sequence of batches. With <c>dropLast</c>, a final batch smaller than B is skipped.
/// </summary>
/// <remarks>Gathering copies each sample's contiguous block of floats (one block per batch when not shuffled).</remarks>
public sealed class DataLoader : IEnumerable<Batch>
{
    readonly Generator? generator;

    public DataLoader(LabeledDataset data, int batchSize, bool shuffle = false, bool dropLast = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batch size {batchSize} must be at least 1");
        Data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        this.generator = generator; // null: Generator.Default at each epoch (so Generator.ManualSeed applies)
    }

    /// <summary>One batch holding the whole data set (full-batch gradient descent), in order.</summary>
    public static DataLoader FullBatch(LabeledDataset data) => new(data, Math.Max(1, data.Count));

    public LabeledDataset Data { get; }
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }
    /// <summary>The generator of the shuffles (null: <see cref="Generator.Default"/>).</summary>
    public Generator? Generator => generator;
    /// <summary>Epochs started so far (enumerations begun).</summary>
    public int Epoch { get; private set; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? Data.Count / BatchSize : (Data.Count + BatchSize - 1) / BatchSize;

    public IEnumerator<Batch> GetEnumerator()
    {
        Epoch++;
        int n = Data.Count;
        int[]? order = Shuffle ? (generator ?? Generator.Default).Permutation(n) : null;
        int batches = BatchCount;
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize, count = Math.Min(BatchSize, n - start);
            yield return Gather(order, start, count);
        }
    }

    Batch Gather(int[]? order, int start, int count)
    {
        int row = Data.SampleSize;
        var src = Data.Inputs.data;
        var x = new float[(long)count * row];
        var labels = new int[count];
        if (order is null)
        {
            Array.Copy(src, (long)start * row, x, 0, (long)count * row);
            Array.Copy(Data.Labels, start, labels, 0, count);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                int k = order[start + i];
                Array.Copy(src, (long)k * row, x, (long)i * row, row);
                labels[i] = Data.Labels[k];
            }
        }
        var shape = Data.Inputs.Shape;
        shape[0] = count;
        return new Batch(new Tensor(x, shape), labels);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
