namespace Nabla.Data;

/// <summary>
/// Inputs with one class label each: <see cref="Inputs"/> is a float tensor [N, …] (images [N, 1, 28, 28] or
/// [N, 784]) and <see cref="Labels"/> holds N integers.
/// </summary>
public sealed class LabeledDataset
{
    public LabeledDataset(Tensor inputs, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.Rank == 0) throw new ArgumentException("LabeledDataset: inputs must have a leading sample dimension", nameof(inputs));
        if (inputs.shape[0] != labels.Length)
            throw new ArgumentException($"LabeledDataset: inputs of shape {ShapeMath.Format(inputs.shape)} hold {inputs.shape[0]} samples but there are {labels.Length} labels", nameof(labels));
        Inputs = inputs;
        Labels = labels;
    }

    /// <summary>All samples, [N, …].</summary>
    public Tensor Inputs { get; }
    /// <summary>One label per sample.</summary>
    public int[] Labels { get; }
    /// <summary>Number of samples N.</summary>
    public int Count => Labels.Length;
    /// <summary>Shape of one sample (the inputs' shape without the leading N).</summary>
    public int[] SampleShape => Inputs.shape[1..];
    /// <summary>Floats per sample.</summary>
    public int SampleSize => Count == 0 ? ShapeMath.Size(SampleShape) : Inputs.Size / Count;

    /// <summary>A copy of samples [start, start + count).</summary>
    public LabeledDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"LabeledDataset.Slice: [{start}, {start + count}) is outside 0..{Count}");
        int row = SampleSize;
        var data = Inputs.data.AsSpan(start * row, count * row).ToArray();
        var shape = Inputs.Shape;
        shape[0] = count;
        return new LabeledDataset(new Tensor(data, shape), Labels.AsSpan(start, count).ToArray());
    }

    /// <summary>The same samples with each one flattened to a vector: [N, SampleSize].</summary>
    public LabeledDataset Flattened() => new(new Tensor(Inputs.data, Count, SampleSize), Labels);
}
