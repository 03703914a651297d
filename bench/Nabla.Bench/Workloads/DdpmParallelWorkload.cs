using System.Diagnostics;
using Nabla.Data;
using Nabla.Diffusion;
using Nabla.Distributed;
using Nabla.Models;

namespace Nabla.Bench;

/// <summary>
/// ddpm-dp: DDPM training images/s of the `ddpm` workload's UNet with a global batch of 64 split over the ranks
/// (`mpirun -np N`: 64/N per rank; one process: 64), through <see cref="DdpmTrainer"/> and
/// <see cref="DistributedDataParallel"/>. Median step time of 15 steps after 3 warm-up steps; allreduce_share = the
/// share of the step spent in the gradient all-reduce (rank 0). Args: [global batch] [steps].
/// </summary>
public static class DdpmParallelWorkload
{
    public static void Run(string[] args)
    {
        using var group = MpiLaunch.CreateGroup(DistributedMode.Auto);
        int global = args.Length > 0 ? int.Parse(args[0]) : 64, steps = args.Length > 1 ? int.Parse(args[1]) : 15;
        if (global % group.WorldSize != 0) throw new ArgumentException($"ddpm-dp: global batch {global} is not a multiple of {group.WorldSize} ranks");
        var train = FashionMnist.Load(null).Train;
        var x = train.Inputs.ToArray();
        for (int i = 0; i < x.Length; i++) x[i] = 2 * x[i] - 1;
        var timed = new TimedGroup(group);
        var trainer = new DdpmTrainer(UNet.DdpmWorkloadConfig(10), new DdpmTrainingOptions { BatchSize = global / group.WorldSize }, new Tensor(x, train.Inputs.Shape), train.Labels)
            .UseDataParallel(new DistributedDataParallel(timed));
        for (int i = 0; i < 3; i++) trainer.TrainStep();
        var ms = new List<double>(); var share = new List<double>();
        var sw = new Stopwatch();
        for (int i = 0; i < steps; i++)
        {
            timed.Seconds = 0;
            sw.Restart();
            trainer.TrainStep();
            ms.Add(sw.Elapsed.TotalMilliseconds);
            share.Add(timed.Seconds * 1000 / ms[^1]);
        }
        double med = Emit.Median(ms);
        if (group.Rank == 0)
            Emit.Line("ddpm-dp", "images_per_s", global / (med / 1000), ("ranks", group.WorldSize), ("global_batch", global), ("step_ms", med),
                ("allreduce_share", Emit.Median(share)), ("threads_env", Environment.GetEnvironmentVariable("NABLA_THREADS") ?? ""), ("parameters", trainer.Model.ParameterCount()));
    }

    /// <summary>A process group that adds the time spent in all-reduces to <see cref="Seconds"/>.</summary>
    sealed class TimedGroup(IProcessGroup inner) : IProcessGroup
    {
        public double Seconds;
        public int Rank => inner.Rank;
        public int WorldSize => inner.WorldSize;
        public string Description => inner.Description;
        public void Broadcast(Span<float> buffer, int root = 0) => inner.Broadcast(buffer, root);
        public void Broadcast(Span<byte> buffer, int root = 0) => inner.Broadcast(buffer, root);
        public void AllReduceSum(Span<float> buffer) { long t = Stopwatch.GetTimestamp(); inner.AllReduceSum(buffer); Seconds += Stopwatch.GetElapsedTime(t).TotalSeconds; }
        public void Barrier() => inner.Barrier();
        public void Abort(int exitCode) => inner.Abort(exitCode);
        public void Dispose() { }
    }
}
