using System.Diagnostics;
using Nabla.Data;
using Nabla.Diffusion;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>
/// ddpm: the UNet of WORKLOADS.md (628,385 parameters), T = 1000, linear β, Adam 2e-4, batch 64 of Fashion-MNIST
/// in [−1, 1]. train_step_ms = median of 30 steps after 5 warm-up (batch, t and noise drawn, forward, backward, Adam);
/// sample_ms_per_step = median over the 50 ancestral steps t = 999…950 (σ² = β_t) of a batch of 16.
/// </summary>
public static class DdpmWorkload
{
    public static void Run(string[] args)
    {
        Generator.ManualSeed(0);
        var gen = new Generator(0);
        var model = UNet.DdpmWorkload(gen: gen.Fork(1));
        long parameters = model.ParameterCount();
        var opt = new Adam(model.Parameters(), lr: 2e-4);
        var schedule = NoiseSchedule.Linear(1000);
        var dir = Environment.GetEnvironmentVariable("FMNIST_DIR");
        var train = FashionMnist.Load(string.IsNullOrEmpty(dir) ? null : dir).Train;
        var src = train.Inputs.Data;
        var data = new float[src.Length];
        for (int i = 0; i < data.Length; i++) data[i] = 2 * src[i] - 1;
        int n = train.Count, per = 784, b = 64;
        var eps = model.AsNoisePredictor();

        float TrainStep()
        {
            var idx = new int[b];
            gen.FillInt(idx, 0, n);
            using var scope = TensorScope.Begin();  // activations and gradients reuse the previous step's storage
            var x = new float[b * per];
            for (int i = 0; i < b; i++) data.AsSpan(idx[i] * per, per).CopyTo(x.AsSpan(i * per));
            var loss = DdpmLoss.Compute(schedule, eps, new Tensor(x, b, 1, 28, 28), null, gen);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            return loss.Item();
        }

        var stepMs = new List<double>();
        float last = 0;
        var sw = new Stopwatch();
        for (int i = 0; i < 35; i++)
        {
            sw.Restart();
            last = TrainStep();
            if (i >= 5) stepMs.Add(sw.Elapsed.TotalMilliseconds);
        }

        var sampler = new AncestralSampler(schedule, useBetaVariance: true);
        var xs = Tensor.Randn(gen, 16, 1, 28, 28);
        var sampleMs = new List<double>();
        model.Eval();
        using (Tensor.NoGrad())
        using (FrozenWeights.Begin())   // a sampling run, as AncestralSampler.Run opens it: the weights are packed once
        {
            for (int t = 999; t > 949; t--)
            {
                sw.Restart();
                using var scope = TensorScope.Begin();
                var e = model.Forward(xs, Tensor.Full(t, 16));
                xs = scope.Keep(sampler.Step(xs, t, e, gen).xPrev);
                sampleMs.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        // counted work: the UNet's forward per image (0.2154 GFLOP), ×3 for a training step (forward, ∂X, ∂W) of 64 images;
        // a sampling step is one forward of 16 (the sampler's update is element-wise and not counted)
        double perImage = FlopCount.UNetForward(model), trainMs = Emit.Median(stepMs), sampleMed = Emit.Median(sampleMs);
        Emit.Line("ddpm", "train_step_ms", trainMs, ("min_ms", Math.Round(stepMs.Min(), 2)), ("max_ms", Math.Round(stepMs.Max(), 2)), ("last_loss", Math.Round(last, 4)),
            ("gflops_effective", FlopCount.Gflops(FlopCount.TrainFactor * b * perImage, trainMs / 1e3)));
        Emit.Line("ddpm", "sample_ms_per_step", sampleMed, ("batch", 16), ("gflops_effective", FlopCount.Gflops(16 * perImage, sampleMed / 1e3)));
        Emit.Line("ddpm", "params", parameters);
    }
}
