using System.Numerics.Tensors;

namespace Nabla.Optim;

/// <summary>
/// Several data-parallel shards computed one after the other in one process (<see cref="IDataParallel.LocalShards"/>):
/// after shard i of n is back-propagated, <see cref="Add"/> keeps its gradient aside and clears the parameters'; after
/// the last shard each gradient is ḡ = (1/n) Σ_i g_i, summed in shard order — the arithmetic of an all-reduce over n
/// ranks, so the result equals an n-process run to rounding of the sum order (bitwise for n = 2). A parameter no shard
/// reached keeps a null gradient.
/// </summary>
public sealed class ShardGradientSum
{
    float[]?[]? sums;

    /// <summary>Takes shard <paramref name="index"/> (0 … <paramref name="count"/> − 1)'s gradients of <paramref name="parameters"/>.</summary>
    public void Add(IReadOnlyList<Tensor> parameters, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"ShardGradientSum: shard {index} of {count}");
        if (sums == null || sums.Length != parameters.Count) sums = new float[]?[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var g = p.Grad;
            if (index == 0)
            {
                if (g == null) sums[i] = null;
                else { var a = sums[i] ??= new float[g.Size]; g.Data.CopyTo(a); }
            }
            else
            {
                var acc = sums[i];
                if (g != null && acc != null) TensorPrimitives.Add(acc, g.Data, index == count - 1 ? g.Data : acc);
                else if (g != null && index < count - 1) sums[i] = g.ToArray();
                else if (g == null && acc != null && index == count - 1) p.Grad = new Tensor((float[])acc.Clone(), p.Shape);
            }
            if (index < count - 1) p.ZeroGrad();
            else if (p.Grad is { } last) TensorPrimitives.Multiply(last.Data, 1f / count, last.Data);
        }
    }
}
