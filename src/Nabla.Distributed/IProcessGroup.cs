namespace Nabla.Distributed;

/// <summary>
/// A fixed set of cooperating processes (MPI's communicator): each knows its <see cref="Rank"/> among
/// <see cref="WorldSize"/>; collectives are entered by every process in the same order with the same lengths.
/// </summary>
public interface IProcessGroup : IDisposable
{
    int Rank { get; }
    int WorldSize { get; }
    /// <summary>One line: the implementation and where the processes run.</summary>
    string Description { get; }
    /// <summary>Rank <paramref name="root"/>'s values into <paramref name="buffer"/> on every process.</summary>
    void Broadcast(Span<float> buffer, int root = 0);
    /// <summary>Rank <paramref name="root"/>'s bytes into <paramref name="buffer"/> on every process.</summary>
    void Broadcast(Span<byte> buffer, int root = 0);
    /// <summary>Element-wise sum over the processes, in place, the same result on every process.</summary>
    void AllReduceSum(Span<float> buffer);
    /// <summary>Waits until every process has entered it.</summary>
    void Barrier();
    /// <summary>Ends every process of the group now with <paramref name="exitCode"/> (after an error on one of them).</summary>
    void Abort(int exitCode);
}

/// <summary>Helpers over any <see cref="IProcessGroup"/>.</summary>
public static class ProcessGroupExtensions
{
    /// <summary>Element-wise mean over the processes, in place: x ← (1/N) Σ_r x_r.</summary>
    public static void AllReduceAverage(this IProcessGroup group, Span<float> buffer)
    {
        group.AllReduceSum(buffer);
        if (group.WorldSize > 1) System.Numerics.Tensors.TensorPrimitives.Multiply(buffer, 1f / group.WorldSize, buffer);
    }
}
