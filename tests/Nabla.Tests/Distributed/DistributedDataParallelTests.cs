using Nabla.Distributed;
using Nabla.Diffusion;
using Nabla.Optim;
using Nabla.Tests.Diffusion;

namespace Nabla.Tests.Distributed;

/// <summary>
/// A process group of threads in one process (shared buffers and a barrier): the collectives of
/// <see cref="DistributedDataParallel"/> run without MPI. Sums are taken in rank order, as a 2-rank MPI_Allreduce.
/// </summary>
sealed class ThreadGroup : IProcessGroup
{
    sealed class Shared(int n)
    {
        public readonly Barrier Barrier = new(n);
        public readonly float[]?[] Floats = new float[n][];
        public byte[]? Bytes;
    }
    readonly Shared shared;
    ThreadGroup(Shared s, int rank, int size) { shared = s; Rank = rank; WorldSize = size; }
    public static ThreadGroup[] Create(int n) { var s = new Shared(n); return Enumerable.Range(0, n).Select(r => new ThreadGroup(s, r, n)).ToArray(); }

    public int Rank { get; }
    public int WorldSize { get; }
    public string Description => $"thread {Rank} of {WorldSize}";
    public void Broadcast(Span<float> buffer, int root = 0)
    {
        if (Rank == root) shared.Floats[root] = buffer.ToArray();
        shared.Barrier.SignalAndWait();
        shared.Floats[root]!.CopyTo(buffer);
        shared.Barrier.SignalAndWait();
    }
    public void Broadcast(Span<byte> buffer, int root = 0)
    {
        if (Rank == root) shared.Bytes = buffer.ToArray();
        shared.Barrier.SignalAndWait();
        shared.Bytes!.CopyTo(buffer);
        shared.Barrier.SignalAndWait();
    }
    public void AllReduceSum(Span<float> buffer)
    {
        shared.Floats[Rank] = buffer.ToArray();
        shared.Barrier.SignalAndWait();
        buffer.Clear();
        for (int r = 0; r < WorldSize; r++) System.Numerics.Tensors.TensorPrimitives.Add(buffer, shared.Floats[r], buffer);
        shared.Barrier.SignalAndWait();
    }
    public void Barrier() => shared.Barrier.SignalAndWait();
    public void Abort(int exitCode) => throw new InvalidOperationException($"abort {exitCode}");
    public void Dispose() { }

    /// <summary>Runs <paramref name="body"/> on one thread per rank and returns each rank's result (or rethrows the first exception).</summary>
    public static T[] Run<T>(int n, Func<ThreadGroup, T> body)
    {
        var groups = Create(n);
        var results = new T[n]; var errors = new Exception?[n];
        var threads = groups.Select(g => new Thread(() => { try { results[g.Rank] = body(g); } catch (Exception e) { errors[g.Rank] = e; } }, 16 << 20)).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a rank thread hung");
        if (errors.Any(e => e != null)) throw new AggregateException(errors.Where(e => e != null)!);
        return results;
    }
}

public class DistributedDataParallelTests
{
    static DdpmTrainingOptions Opts => new() { BatchSize = 4, LearningRate = 2e-3f, DiffusionSteps = 100, Seed = 5 };

    [Fact]
    public void TwoRanksEqualOneProcessComputingBothShardsBitwise()
    {
        var (x, y) = DdpmTrainerTests.TinyData();
        var reference = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts, x, y).UseDataParallel(new LocalDataParallel(2));
        for (int i = 0; i < 3; i++) reference.TrainStep();
        // small buckets: several all-reduces per step, the losses ride on the last
        var ranks = ThreadGroup.Run(2, g =>
        {
            var tr = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts with { Seed = g.Rank == 0 ? 5UL : 99UL }, x, y)   // rank 1 starts from other weights and draws…
                .UseDataParallel(new DistributedDataParallel(g, new DataParallelOptions { BucketBytes = 4096, ChecksumEvery = 1 }));
            for (int i = 0; i < 3; i++) tr.TrainStep();
            return tr;
        });
        Assert.Equal(2 * Opts.BatchSize, reference.GlobalBatchSize);
        foreach (var tr in ranks)   // …and rank 0's broadcast makes them rank 0's
        {
            Assert.Equal(reference.Losses.ToArray(), tr.Losses.ToArray());
            foreach (var (k, t) in reference.Model.StateDict()) Assert.Equal(t.ToArray(), tr.Model.StateDict()[k].ToArray());
        }
    }

    [Fact]
    public void OneRanksCancellationStopsEveryRankAfterTheSameStep()
    {
        var (x, y) = DdpmTrainerTests.TinyData();
        var results = ThreadGroup.Run(2, g =>
        {
            var tr = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts, x, y).UseDataParallel(new DistributedDataParallel(g));
            using var cts = new CancellationTokenSource();
            return tr.Train(10, cancellation: cts.Token, progress: p => { if (g.Rank == 1 && p.Step == 2) cts.Cancel(); });
        });
        Assert.All(results, r => { Assert.Equal(DdpmTrainingStatus.Cancelled, r.Status); Assert.Equal(3, r.Step); });
    }

    [Fact]
    public void ADivergedRankIsAnErrorOnEveryRank()
    {
        var (x, y) = DdpmTrainerTests.TinyData();
        var e = Assert.Throws<AggregateException>(() => ThreadGroup.Run(2, g =>
        {
            var tr = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts, x, y)
                .UseDataParallel(new DistributedDataParallel(g, new DataParallelOptions { ChecksumEvery = 2 }));
            tr.TrainStep();
            if (g.Rank == 1) tr.Model.Parameters().First().Data[0] += 1e-3f;   // silent divergence
            tr.TrainStep();
            return 0;
        }));
        Assert.Equal(2, e.InnerExceptions.Count);
        Assert.All(e.InnerExceptions, i => Assert.Contains("diverged: after step 2 the parameters of 1 of 2 ranks differ", Assert.IsType<DataParallelDivergenceException>(i).Message));
    }

    [Fact]
    public void BroadcastBytesAndModelMismatch()
    {
        var got = ThreadGroup.Run(3, g => new DistributedDataParallel(g).BroadcastBytes(g.Rank == 0 ? new byte[] { 1, 2, 3 } : null));
        Assert.All(got, b => Assert.Equal(new byte[] { 1, 2, 3 }, b));
        Assert.All(ThreadGroup.Run(2, g => new DistributedDataParallel(g).BroadcastBytes(null)), Assert.Null);
        var e = Assert.Throws<AggregateException>(() => ThreadGroup.Run(2, g =>
        {
            new DistributedDataParallel(g).Broadcast(new[] { Tensor.Zeros(g.Rank == 0 ? 3 : 4) });
            return 0;
        }));
        Assert.All(e.InnerExceptions, i => Assert.Contains("1 rank(s) hold a different model than rank 0", i.Message));
    }

    [Fact]
    public void MissingLibmpiSaysWhatToInstall()
    {
        var old = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY");
        try
        {
            Environment.SetEnvironmentVariable("NABLA_MPI_LIBRARY", "/nonexistent/libmpi.so.40");
            var e = Assert.Throws<MpiUnavailableException>(() => MpiNative.Load());
            Assert.Contains("NABLA_MPI_LIBRARY='/nonexistent/libmpi.so.40' could not be loaded", e.Message);
        }
        finally { Environment.SetEnvironmentVariable("NABLA_MPI_LIBRARY", old); }
        var missing = Assert.Throws<MpiUnavailableException>(() => MpiNative.Load(new[] { "libnabla-no-such-mpi.so" }, null));
        Assert.Contains("was not found: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3", missing.Message);
    }
}
