namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>Joins tensors along an existing axis; every other dimension must agree. The gradient is sliced back.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat: no tensors given");
        var first = tensors[0];
        int ax = ShapeMath.NormalizeAxis(axis, first.shape, "Concat");
        int total = 0;
        foreach (var t in tensors)
        {
            bool ok = t.Rank == first.Rank;
            for (int i = 0; ok && i < t.Rank; i++) ok = i == ax || t.shape[i] == first.shape[i];
            if (!ok) throw new ArgumentException($"Concat: shape {ShapeMath.Format(t.shape)} does not match {ShapeMath.Format(first.shape)} outside axis {ax}");
            total += t.shape[ax];
        }
        var outShape = (int[])first.shape.Clone(); outShape[ax] = total;
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= outShape[i];
        for (int i = ax + 1; i < outShape.Length; i++) inner *= outShape[i];
        var o = new Tensor(TensorScope.Uninit(ShapeMath.Size(outShape)), outShape);   // every input block copied in below
        int rowOut = total * inner, off = 0;
        foreach (var t in tensors)
        {
            int row = t.shape[ax] * inner;
            for (int p = 0; p < outer; p++) t.data.AsSpan(p * row, row).CopyTo(o.data.AsSpan(p * rowOut + off, row));
            off += row;
        }
        var inputs = tensors.ToArray();
        return o.Record("Concat", inputs, gy =>
        {
            int off2 = 0;
            foreach (var t in inputs)
            {
                int row = t.shape[ax] * inner;
                if (t.TracksGrad)
                {
                    var gx = TensorScope.Zeroed(t.Size);
                    for (int p = 0; p < outer; p++) gy.AsSpan(p * rowOut + off2, row).CopyTo(gx.AsSpan(p * row, row));
                    t.AccumulateGrad(gx);
                }
                off2 += row;
            }
        });
    }

    /// <summary>Joins equally shaped tensors along a new axis.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: no tensors given");
        foreach (var t in tensors)
            if (!t.shape.AsSpan().SequenceEqual(tensors[0].shape))
                throw new ArgumentException($"Stack: shape {ShapeMath.Format(t.shape)} differs from {ShapeMath.Format(tensors[0].shape)}");
        int r = tensors[0].Rank;
        if (axis < -(r + 1) || axis > r)
            throw new ArgumentOutOfRangeException(nameof(axis), $"Stack: axis {axis} is out of range [{-(r + 1)}, {r}] for tensors of shape {ShapeMath.Format(tensors[0].shape)}");
        int ax = axis < 0 ? axis + r + 1 : axis;
        return Concat(tensors.Select(t => t.Unsqueeze(ax)).ToArray(), ax);
    }

    /// <summary>Splits into pieces of the given sizes along an axis (the inverse of <see cref="Concat"/>).</summary>
    public Tensor[] Split(int[] sizes, int axis = 0)
    {
        int ax = ShapeMath.NormalizeAxis(axis, shape, "Split");
        foreach (var n in sizes)
            if (n < 0) throw new ArgumentException($"Split: negative size {n} in {ShapeMath.Format(sizes)}");
        if (sizes.Sum() != shape[ax]) throw new ArgumentException($"Split: sizes {ShapeMath.Format(sizes)} do not add up to {shape[ax]} (axis {ax} of {ShapeMath.Format(shape)})");
        var r = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++) { r[i] = Slice(ax, start, start + sizes[i]); start += sizes[i]; }
        return r;
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces of ⌈n/chunks⌉ along an axis (the last may be smaller), as torch.chunk.</summary>
    public Tensor[] Chunk(int chunks, int axis = 0)
    {
        int ax = ShapeMath.NormalizeAxis(axis, shape, "Chunk");
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}");
        int n = shape[ax], size = Math.Max(1, (n + chunks - 1) / chunks);
        var sizes = new List<int>();
        for (int start = 0; start < n; start += size) sizes.Add(Math.Min(size, n - start));
        if (sizes.Count == 0) sizes.Add(0);
        return Split(sizes.ToArray(), ax);
    }
}
