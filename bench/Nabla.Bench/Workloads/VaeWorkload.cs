using System.Diagnostics;
using Nabla.Data;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>vae: 784-400-(20,20) / 20-400-784, BCE-sum + KL averaged over the batch, Adam 1e-3, batch 128, one shuffled epoch; as ref/vae.py.</summary>
public static class VaeWorkload
{
    const int Batch = 128;

    public static void Run(string[] args)
    {
        var (train, test, _) = FashionData.Load(flatten: true);
        int warm = Warm(train);
        Generator.ManualSeed(0);
        var model = new MlpVae();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var noise = new Generator(1);
        float loss = 0;
        var sw = Stopwatch.StartNew();
        foreach (var (x, _) in new BatchGatherer(train, Batch).Epoch(new Generator(0).Permutation(train.Count)))
            loss = Step(model, opt, x, noise);
        double epochS = sw.Elapsed.TotalSeconds;
        double total = 0;
        var evalNoise = new Generator(1);
        using (Tensor.NoGrad())
            for (int i = 0; i < test.Count; i += 1000)
            {
                using var scope = TensorScope.Begin();
                var x = test.Slice(i, Math.Min(1000, test.Count - i)).Inputs;
                total += model.Elbo(x, evalNoise).Loss.Item() * x.Dim(0);
            }
        Emit.Line("vae", "train_images_per_s", train.Count / epochS, ("epoch_s", Math.Round(epochS, 3)), ("final_batch_loss", Math.Round(loss, 3)), ("warmup_steps", warm),
            ("gflops_effective", FlopCount.Gflops(FlopCount.TrainFactor * FlopCount.LinearLayers(model) * train.Count, epochS)));
        Emit.Line("vae", "test_neg_elbo", total / test.Count);
    }

    static float Step(MlpVae model, Optimizer opt, Tensor x, Generator noise)
    {
        using var scope = TensorScope.Begin();  // the step's activations and gradients reuse the previous step's storage
        var loss = model.Elbo(x, noise).Loss;
        model.ZeroGrad();
        loss.Backward();
        opt.Step();
        return loss.Item();
    }

    static int Warm(LabeledDataset train)
    {
        var m = new MlpVae(gen: new Generator(99));
        var o = new Adam(m.Parameters(), lr: 1e-3);
        var g = new Generator(5);
        var batches = new BatchGatherer(train.Slice(0, 5 * Batch), Batch);
        return Warmup.Run(batches.Epoch(null).Select(b => (Action)(() => Step(m, o, b.X, g))));
    }
}
