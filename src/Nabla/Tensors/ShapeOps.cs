namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>The same values with a new shape (one dimension may be −1, inferred). Shares storage; the gradient is reshaped back.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        var s = (int[])newShape.Clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1) { if (infer >= 0) throw new ArgumentException($"Reshape: more than one −1 in {ShapeMath.Format(newShape)}"); infer = i; }
            else if (s[i] < 0) throw new ArgumentException($"Reshape: invalid dimension {s[i]} in {ShapeMath.Format(newShape)}");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Size % known != 0)
                throw new ArgumentException($"Reshape: cannot reshape {ShapeMath.Format(shape)} ({Size} elements) to {ShapeMath.Format(newShape)}");
            s[infer] = (int)(Size / known);
        }
        else if (known != Size)
            throw new ArgumentException($"Reshape: cannot reshape {ShapeMath.Format(shape)} ({Size} elements) to {ShapeMath.Format(newShape)}");
        var o = new Tensor(data, s);
        var x = this;
        return o.Record("Reshape", new[] { this }, gy => x.AccumulateGrad(gy));
    }

    /// <summary>Alias of <see cref="Reshape"/> (storage is always contiguous).</summary>
    public Tensor View(params int[] newShape) => Reshape(newShape);

    /// <summary>Merges dims startDim..endDim into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int a = ShapeMath.NormalizeAxis(startDim, shape, "Flatten"), b = ShapeMath.NormalizeAxis(endDim, shape, "Flatten");
        if (a > b) throw new ArgumentException($"Flatten: start dim {startDim} is after end dim {endDim}");
        var l = new List<int>();
        for (int i = 0; i < a; i++) l.Add(shape[i]);
        int m = 1; for (int i = a; i <= b; i++) m *= shape[i];
        l.Add(m);
        for (int i = b + 1; i < Rank; i++) l.Add(shape[i]);
        return Reshape(l.ToArray());
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="axis"/>.</summary>
    public Tensor Unsqueeze(int axis)
    {
        if (axis < -(Rank + 1) || axis > Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"Unsqueeze: axis {axis} is out of range [{-(Rank + 1)}, {Rank}] for a tensor of shape {ShapeMath.Format(shape)}");
        int a = axis < 0 ? axis + Rank + 1 : axis;
        var l = new List<int>(shape); l.Insert(a, 1);
        return Reshape(l.ToArray());
    }

    /// <summary>Removes size-1 dimensions (all of them, or only <paramref name="axis"/>).</summary>
    public Tensor Squeeze(int? axis = null)
    {
        var l = new List<int>();
        int a = axis is int ax ? ShapeMath.NormalizeAxis(ax, shape, "Squeeze") : -1;
        for (int i = 0; i < Rank; i++) if (!(shape[i] == 1 && (a < 0 || a == i))) l.Add(shape[i]);
        return Reshape(l.ToArray());
    }

    /// <summary>Reorders dimensions (materialized); the gradient is permuted back by the inverse permutation.</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute: {dims.Length} dims given for a tensor of shape {ShapeMath.Format(shape)}");
        var p = new int[Rank]; var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            p[i] = ShapeMath.NormalizeAxis(dims[i], shape, "Permute");
            if (seen[p[i]]) throw new ArgumentException($"Permute: dimension {dims[i]} repeated in {ShapeMath.Format(dims)}");
            seen[p[i]] = true;
        }
        var outShape = new int[Rank];
        for (int i = 0; i < Rank; i++) outShape[i] = shape[p[i]];
        var o = new Tensor(TensorScope.Zeroed(Size), outShape);
        PermuteInto(data, shape, p, o.data);
        var inv = new int[Rank];
        for (int i = 0; i < Rank; i++) inv[p[i]] = i;
        var x = this;
        return o.Record("Permute", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            PermuteInto(gy, outShape, inv, gx);
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>dst = src with dims reordered so that dst dim i is src dim p[i].</summary>
    static void PermuteInto(float[] src, int[] srcShape, int[] p, float[] dst)
    {
        var srcStrides = ShapeMath.Strides(srcShape);
        int r = p.Length;
        var outShape = new int[r]; var st = new int[r];
        for (int i = 0; i < r; i++) { outShape[i] = srcShape[p[i]]; st[i] = srcStrides[p[i]]; }
        Kernels.StridedLoops.Expand(src, st, dst, outShape);
    }

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var p = new int[Rank];
        for (int i = 0; i < Rank; i++) p[i] = i;
        int a = ShapeMath.NormalizeAxis(dim0, shape, "Transpose"), b = ShapeMath.NormalizeAxis(dim1, shape, "Transpose");
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>Transpose of a matrix (2-D).</summary>
    public Tensor T
    {
        get
        {
            if (Rank != 2) throw new InvalidOperationException($"T: expects a 2-D tensor, got shape {ShapeMath.Format(shape)}");
            return Transpose(0, 1);
        }
    }

    /// <summary>Broadcasts to <paramref name="target"/> (materialized; −1 keeps a dimension); the gradient is summed back.</summary>
    public Tensor Expand(params int[] target)
    {
        target = (int[])target.Clone();
        int lead = target.Length - Rank;
        if (lead < 0) throw new ArgumentException($"Expand: shape {ShapeMath.Format(shape)} has more dimensions than target {ShapeMath.Format(target)}");
        for (int i = 0; i < target.Length; i++)
            if (target[i] == -1)
            {
                if (i < lead) throw new ArgumentException($"Expand: −1 is not allowed for the new leading dimension {i} of {ShapeMath.Format(target)}");
                target[i] = shape[i - lead];
            }
        var s = ShapeMath.Broadcast(shape, target, "Expand");
        if (!s.AsSpan().SequenceEqual(target)) throw new ArgumentException($"Expand: shape {ShapeMath.Format(shape)} cannot be expanded to {ShapeMath.Format(target)}");
        var o = new Tensor(Materialize(this, s), s);
        var x = this;
        return o.Record("Expand", new[] { this }, gy => x.AccumulateGrad(SumToShape(gy, s, x.shape)));
    }
}
