using Nabla.Optim;

namespace Nabla.Diffusion;

/// <summary>
/// Data-parallel DDPM training (see <see cref="IDataParallel"/>): the batch size is per shard, so a step of K shards
/// of b images minimises L = (1/K) Σ_k L_k over K·b images; shard k's images, labels, t and ε come from its own
/// generator stream at the step's offset, so every process keeps the same generator state (and a checkpoint written by
/// rank 0 resumes every rank exactly). Stop requests (Ctrl-C, time budget) are summed with the gradients, so all
/// processes stop after the same step.
/// </summary>
public sealed partial class DdpmTrainer
{
    IDataParallel parallel = LocalDataParallel.Single;
    Tensor[]? parameterList;
    readonly ShardGradientSum shardSums = new();

    /// <summary>How this trainer takes part in data-parallel training (default: one process, one shard).</summary>
    public IDataParallel Parallel => parallel;

    /// <summary>Images per step over every shard and process: K·b.</summary>
    public int GlobalBatchSize => parallel.ShardCount * Options.BatchSize;

    /// <summary>Trains data-parallel from now on: rank 0's weights, buffers, EMA weights and generator state are copied to every process.</summary>
    public DdpmTrainer UseDataParallel(IDataParallel dataParallel)
    {
        ArgumentNullException.ThrowIfNull(dataParallel);
        parallel = dataParallel;
        parallel.Broadcast(Model.NamedParameters().Concat(Model.NamedBuffers()).Select(p => p.Value).ToList());
        parallel.Broadcast(EmaModel.NamedParameters().Concat(EmaModel.NamedBuffers()).Select(p => p.Value).ToList());
        var rng = new byte[16];   // and rank 0's generator state, from which every shard's stream derives
        BitConverter.TryWriteBytes(rng.AsSpan(0, 8), Generator.Seed);
        BitConverter.TryWriteBytes(rng.AsSpan(8, 8), Generator.Offset);
        rng = parallel.BroadcastBytes(rng)!;
        Generator = new Generator(BitConverter.ToUInt64(rng, 0), BitConverter.ToUInt64(rng, 8));
        return this;
    }

    /// <summary>
    /// Resumes data-parallel training: rank 0 alone reads the checkpoint and sends its bytes to every process (the
    /// other machines need no copy of the file), so every rank continues exactly where the run stopped.
    /// </summary>
    public static DdpmTrainer Resume(string path, Tensor images, int[]? labels, IDataParallel dataParallel)
    {
        ArgumentNullException.ThrowIfNull(dataParallel);
        var bytes = dataParallel.BroadcastBytes(dataParallel.IsWriter && File.Exists(path) ? File.ReadAllBytes(path) : null);
        if (bytes == null) throw new FileNotFoundException($"DDPM checkpoint '{path}' does not exist (on rank 0)", path);
        return Resume(DdpmCheckpoint.Read(bytes, path), path, images, labels).UseDataParallel(dataParallel);
    }

    /// <summary>The generator of shard k at the step's starting offset: the trainer's own for shard 0, a fork for the others.</summary>
    Generator ShardGenerator(int shard, ulong offset) =>
        shard == 0 ? Generator : new Generator(Generator.Fork(0x5348_4152_4400UL + (ulong)shard).Seed, offset);

    /// <summary>One data-parallel step: local shards' losses, backward, gradient average (with the stop votes and the
    /// run's progress, whose mean over the processes sets the learning rate), optimizer, EMA.</summary>
    (float Loss, bool Cancel, bool TimeUp) StepCore(bool cancelVote, bool timeVote, double progress)
    {
        var shards = parallel.LocalShards;
        parameterList ??= Model.Parameters().ToArray();
        ulong start = Generator.Offset, end = start;
        Model.Train();
        optimizer.ZeroGrad();
        using var scope = TensorScope.Begin();  // the step's activations and gradients are reused by the next step
        float local = 0;
        for (int si = 0; si < shards.Count; si++)
        {
            var gen = ShardGenerator(shards[si], start);
            var loss = ShardLoss(gen);
            float v = loss.Item();
            local += v;
            if (float.IsFinite(v)) loss.Backward();
            if (shards.Count > 1) shardSums.Add(parameterList, si, shards.Count);
            end = gen.Offset;
        }
        Generator.Offset = end;
        Span<float> sums = stackalloc float[] { local, cancelVote ? 1 : 0, timeVote ? 1 : 0, (float)progress };
        parallel.AverageGradients(parameterList, sums);
        float value = sums[0] / parallel.ShardCount;
        if (!float.IsFinite(value)) throw new NonFiniteLossException(Step + 1, value);
        optimizer.LearningRate = Options.LearningRate * Options.LearningRateFactor(sums[3] / parallel.WorldSize);
        optimizer.Step();
        Ema.Update();
        Step++;
        losses.Add(value);
        parallel.AfterStep(parameterList, Step);
        return (value, sums[1] > 0, sums[2] > 0);
    }
}
