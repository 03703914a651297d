using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// One shard's forward pass for <see cref="EpochTrainer"/>: the loss ℓ_k (mean per example, a scalar tensor with its
/// graph, not yet back-propagated) and metrics of shard k's examples, drawing any noise from <paramref name="noise"/>.
/// </summary>
public delegate ShardPass ShardLoss(Batch shard, Generator noise);

/// <summary>What a <see cref="ShardLoss"/> returns: the loss tensor and named per-example metrics (e.g. ("acc", 0.91)).</summary>
public readonly record struct ShardPass(Tensor Loss, (string Name, double Value)[]? Metrics = null);

/// <summary>
/// Data-parallel epochs (see <see cref="IDataParallel"/>), as PyTorch's DistributedDataParallel with a
/// DistributedSampler: every rank shuffles with the same generator, each global batch of m ≤ K·b examples is cut into
/// K shards (shard k: rows ⌊k·m/K⌋ … ⌊(k+1)·m/K⌋ − 1), and this process computes its shards. The step minimises the
/// global batch's mean loss L = Σ_k (n_k/m) ℓ_k: shard k back-propagates (K·n_k/m)·ℓ_k (1 when the shards are equal),
/// the gradients are averaged over the K shards, and every rank steps the same optimizer. So K ranks × batch b take
/// the steps one process takes with batch K·b on the same images, and the union of the ranks' batches is the
/// one-process epoch. A final batch smaller than K is skipped. BatchNorm keeps each rank's own statistics (in one
/// process they see every local shard in turn). Shard k draws its noise from fork k of the trainer's noise generator
/// at offset s·2³² for global step s, so the draws do not depend on which process computes the shard.
/// </summary>
public sealed partial class EpochTrainer
{
    readonly ShardLoss? shardLoss;
    readonly Generator? noise;
    readonly int shardBatch;
    readonly ShardGradientSum shardSums = new();
    IDataParallel parallel = LocalDataParallel.Single;
    Tensor[]? parameterList;
    string[]? metricNames;
    int stepsTaken;

    /// <summary>How this trainer takes part in data-parallel training (default: one process, one shard).</summary>
    public IDataParallel Parallel => parallel;

    /// <summary>Examples per step over every shard and process: K·b.</summary>
    public int GlobalBatchSize => parallel.ShardCount * shardBatch;

    bool SkipsLastBatch => parallel.ShardCount > 1 && !Loader.DropLast && Loader.Data.Count % Loader.BatchSize is > 0 and var r && r < parallel.ShardCount;

    /// <summary>
    /// Trains data-parallel from now on, each shard of b examples (the loader's batch size): rank 0's parameters and
    /// buffers are copied to every process and the loader's batches become K·b. Every rank must run the same options
    /// (the same seed shuffles the same epochs), which is checked against rank 0's.
    /// </summary>
    public EpochTrainer UseDataParallel(IDataParallel dataParallel)
    {
        ArgumentNullException.ThrowIfNull(dataParallel);
        if (shardLoss == null && dataParallel.ShardCount > 1)
            throw new InvalidOperationException("EpochTrainer: data-parallel training needs a trainer built from a ShardLoss (this one's step function steps the optimizer itself)");
        if (Loader.Data.Count < dataParallel.ShardCount)
            throw new ArgumentException($"EpochTrainer: {Loader.Data.Count} training examples cannot fill {dataParallel.ShardCount} shards", nameof(dataParallel));
        var seed = BitConverter.GetBytes(Options.Seed);
        ulong rootSeed = BitConverter.ToUInt64(dataParallel.BroadcastBytes(seed)!, 0);
        if (rootSeed != Options.Seed)
            throw new ArgumentException($"EpochTrainerOptions.Seed is {Options.Seed} on rank {dataParallel.Rank} but {rootSeed} on rank 0: every rank must shuffle with the same seed", nameof(dataParallel));
        parallel = dataParallel;
        parallel.Broadcast(Model.NamedParameters().Concat(Model.NamedBuffers()).Select(p => p.Value).ToList());
        int batch = parallel.ShardCount * shardBatch;
        if (Loader.BatchSize != batch) Loader = new DataLoader(Loader.Data, batch, Loader.Shuffle, Loader.DropLast, Loader.Generator);
        return this;
    }

    /// <summary>
    /// One step on global batch <paramref name="b"/>: the local shards' losses, backward, the gradient average (with
    /// the loss, metric and stop-vote sums), the optimizer step. Null when the batch is too small to shard.
    /// </summary>
    (StepResult? Result, bool Stop) ShardedStep(Batch b, bool stopVote)
    {
        int k = parallel.ShardCount, m = b.Count;
        if (k > 1 && m < k) return (null, false);
        var shards = parallel.LocalShards;
        parameterList ??= Model.Parameters().ToArray();
        ulong stepIndex = noise!.Offset;
        Model.Train();
        Optimizer.ZeroGrad();
        using var scope = TensorScope.Begin();  // the step's activations and gradients are reused by the next step
        ShardPass last = default;
        float[]? local = null;   // Σ n_k·ℓ_k, then Σ n_k·metric_k, in float: what travels with the gradients
        for (int si = 0; si < shards.Count; si++)
        {
            int shard = shards[si], start = (int)((long)shard * m / k), count = (int)((long)(shard + 1) * m / k) - start;
            var gen = k == 1 ? noise : new Generator(noise.Fork(0x4550_4f43_4800UL + (ulong)shard).Seed, stepIndex << 32);
            last = shardLoss!(k == 1 ? b : Slice(b, start, count), gen);
            var ms = last.Metrics ?? [];
            metricNames ??= ms.Select(x => x.Name).ToArray();
            if (ms.Length != metricNames.Length) throw new InvalidOperationException($"EpochTrainer: a shard returned {ms.Length} metrics, earlier ones {metricNames.Length}");
            local ??= new float[ms.Length + 2];
            local[0] += (float)(last.Loss.Item() * (double)count);
            for (int i = 0; i < ms.Length; i++) local[1 + i] += (float)(ms[i].Value * count);
            (k * count == m ? last.Loss : last.Loss * ((float)k * count / m)).Backward();
            if (shards.Count > 1) shardSums.Add(parameterList, si, shards.Count);
        }
        if (k > 1) noise.Offset = stepIndex + 1;
        int nm = metricNames!.Length;
        Span<float> sums = stackalloc float[nm + 2];
        local.AsSpan().CopyTo(sums);
        sums[nm + 1] = stopVote ? 1 : 0;
        parallel.AverageGradients(parameterList, sums);
        Optimizer.Step();
        parallel.AfterStep(parameterList, ++stepsTaken);
        if (k == 1) return (new StepResult(last.Loss.Item(), last.Metrics), sums[nm + 1] > 0);   // one shard: its own numbers, unrounded
        var metrics = new (string Name, double Value)[nm];
        for (int i = 0; i < nm; i++) metrics[i] = (metricNames[i], sums[1 + i] / (double)m);
        return (new StepResult(sums[0] / (double)m, metrics), sums[nm + 1] > 0);
    }

    /// <summary>Rows <paramref name="start"/> … start + count − 1 of a batch.</summary>
    static Batch Slice(Batch b, int start, int count)
    {
        int row = b.X.Size / Math.Max(1, b.Count);
        var shape = b.X.Shape;
        shape[0] = count;
        return new Batch(new Tensor(b.X.Data.Slice(start * row, count * row).ToArray(), shape), b.Labels.AsSpan(start, count).ToArray());
    }
}
