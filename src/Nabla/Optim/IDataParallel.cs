namespace Nabla.Optim;

/// <summary>
/// How a training loop takes part in data-parallel training (as PyTorch's DistributedDataParallel). Each step's
/// global batch is <see cref="ShardCount"/> shards of b examples; shard k is drawn from its own generator stream
/// (shard 0 from the trainer's generator, shard k &gt; 0 from a fork of it at the same offset), and this process
/// computes the shards in <see cref="LocalShards"/>. With per-shard losses L_k the loop minimises
/// L = (1/K) Σ_k L_k: each process back-propagates the mean of its local shards' losses and
/// <see cref="AverageGradients"/> averages the gradients over the processes, so every process holds ∂L/∂θ and steps
/// the same optimizer to the same parameters. <see cref="LocalDataParallel"/> is the single-process implementation
/// (one shard, or several computed one after the other: the reference a distributed run must equal); the
/// Open MPI one lives in the Nabla.Distributed assembly, which this library never references.
/// </summary>
public interface IDataParallel
{
    /// <summary>This process's index, 0 … <see cref="WorldSize"/> − 1.</summary>
    int Rank { get; }
    /// <summary>Number of processes.</summary>
    int WorldSize { get; }
    /// <summary>K: shards in each step's global batch (the same on every process).</summary>
    int ShardCount { get; }
    /// <summary>The shards this process computes (the same number on every process).</summary>
    IReadOnlyList<int> LocalShards { get; }
    /// <summary>True on the one process that writes files (checkpoints, pictures): rank 0.</summary>
    bool IsWriter => Rank == 0;

    /// <summary>Copies rank 0's values into these tensors on every process (parameters and buffers at the start).</summary>
    void Broadcast(IReadOnlyList<Tensor> tensors);

    /// <summary>Rank 0's <paramref name="bytes"/> on every process (ignored elsewhere; null on rank 0 means "none", returned as null everywhere).</summary>
    byte[]? BroadcastBytes(byte[]? bytes);

    /// <summary>
    /// Called after the backward pass and before the optimizer step: each parameter's gradient becomes its mean over
    /// the processes (a null gradient counts as zeros and stays null), and each entry of <paramref name="sums"/>
    /// becomes its sum over the processes (losses, stop votes: they travel with the gradients at no extra latency).
    /// </summary>
    void AverageGradients(IReadOnlyList<Tensor> parameters, Span<float> sums);

    /// <summary>Called after each optimizer step; may compare the parameters across processes and throw <see cref="DataParallelDivergenceException"/>.</summary>
    void AfterStep(IReadOnlyList<Tensor> parameters, int step);
}

/// <summary>Thrown (on every process) when data-parallel processes hold different parameters after the same step.</summary>
public sealed class DataParallelDivergenceException : Exception
{
    public int Step { get; }
    public DataParallelDivergenceException(int step, string message) : base(message) { Step = step; }
}
