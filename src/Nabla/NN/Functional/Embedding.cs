namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Looks up rows of <paramref name="weight"/> [num, dim]: output shape = <paramref name="indexShape"/> + [dim].
    /// The gradient scatter-adds each output row back into its weight row (none for <paramref name="paddingIdx"/>).
    /// </summary>
    public static Tensor Embedding(ReadOnlySpan<int> indices, int[] indexShape, Tensor weight, int? paddingIdx = null)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight of shape {ShapeMath.Format(weight.shape)} must be [num_embeddings, embedding_dim]");
        int num = weight.shape[0], dim = weight.shape[1];
        if (ShapeMath.Size(indexShape) != indices.Length)
            throw new ArgumentException($"Embedding: {indices.Length} indices do not fill shape {ShapeMath.Format(indexShape)}");
        var idx = indices.ToArray();
        for (int i = 0; i < idx.Length; i++)
            if ((uint)idx[i] >= (uint)num) throw new IndexOutOfRangeException($"Embedding: index {idx[i]} is out of range for a table of {num} rows (weight {ShapeMath.Format(weight.shape)})");
        var outShape = new int[indexShape.Length + 1];
        indexShape.CopyTo(outShape, 0); outShape[^1] = dim;
        var y = new Tensor(TensorScope.Zeroed(idx.Length * dim), outShape);
        for (int i = 0; i < idx.Length; i++) weight.data.AsSpan(idx[i] * dim, dim).CopyTo(y.data.AsSpan(i * dim, dim));
        return y.Record("Embedding", new[] { weight }, gy =>
        {
            var gw = TensorScope.Zeroed(weight.Size);
            for (int i = 0; i < idx.Length; i++)
            {
                if (paddingIdx == idx[i]) continue;
                var dst = gw.AsSpan(idx[i] * dim, dim);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, gy.AsSpan(i * dim, dim), dst);
            }
            weight.AccumulateGrad(gw);
        });
    }

    /// <summary>Embedding lookup by a tensor of integer-valued indices (any shape): output = indices.shape + [dim].</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null)
        => Embedding(ToIndices(indices, "Embedding"), indices.shape, weight, paddingIdx);

    /// <summary>Converts integer-valued float storage to ints, throwing on fractions (naming the op).</summary>
    internal static int[] ToIndices(Tensor t, string op)
    {
        var r = new int[t.Size];
        for (int i = 0; i < r.Length; i++)
        {
            float f = t.data[i];
            int k = (int)f;
            if (k != f) throw new ArgumentException($"{op}: index tensor of shape {ShapeMath.Format(t.shape)} holds non-integer value {f} at {i}");
            r[i] = k;
        }
        return r;
    }
}
