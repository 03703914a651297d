namespace Nabla.Optim;

/// <summary>
/// Data parallelism inside one process: rank 0 of 1, computing shards 0 … K−1 of K one after the other (K = 1 is
/// ordinary training). With K = N it takes the very steps an N-process run takes, which is how a distributed run is
/// tested: same draws, same mean gradient, so the same parameters up to rounding.
/// </summary>
public sealed class LocalDataParallel : IDataParallel
{
    readonly int[] shards;

    /// <summary>Ordinary single-process training (one shard).</summary>
    public static LocalDataParallel Single { get; } = new(1);

    /// <param name="shardCount">K ≥ 1: shards per step, all computed here.</param>
    public LocalDataParallel(int shardCount)
    {
        if (shardCount < 1) throw new ArgumentOutOfRangeException(nameof(shardCount), $"LocalDataParallel: shardCount must be ≥ 1, got {shardCount}");
        shards = Enumerable.Range(0, shardCount).ToArray();
    }

    public int Rank => 0;
    public int WorldSize => 1;
    public int ShardCount => shards.Length;
    public IReadOnlyList<int> LocalShards => shards;
    public void Broadcast(IReadOnlyList<Tensor> tensors) { }
    public byte[]? BroadcastBytes(byte[]? bytes) => bytes;
    public void AverageGradients(IReadOnlyList<Tensor> parameters, Span<float> sums) { }
    public void AfterStep(IReadOnlyList<Tensor> parameters, int step) { }
}
