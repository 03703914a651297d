using System.Diagnostics;
using Nabla.Data;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>mlp: 784-256-256-10 ReLU, cross-entropy, Adam 1e-3, batch 128, one shuffled epoch; as ref/mlp.py.</summary>
public static class MlpWorkload
{
    const int Batch = 128;

    public static void Run(string[] args)
    {
        var (train, test, loadS) = FashionData.Load(flatten: true);
        int warm = Warm(train);
        Generator.ManualSeed(0);
        var model = Classifier.Mlp();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var batches = new BatchGatherer(train, Batch);
        float loss = 0;
        var sw = Stopwatch.StartNew();   // shuffle + batch gathering + forward/backward/step
        foreach (var (x, y) in batches.Epoch(new Generator(0).Permutation(train.Count))) loss = Classifier.TrainStep(model, opt, x, y);
        double epochS = sw.Elapsed.TotalSeconds;
        double acc = Classifier.Accuracy(model, test);
        Emit.Line("mlp", "train_images_per_s", train.Count / epochS, ("epoch_s", Math.Round(epochS, 3)), ("idx_load_s", Math.Round(loadS, 3)),
            ("final_batch_loss", Math.Round(loss, 4)), ("threads", 2), ("warmup_steps", warm),
            ("gflops_effective", FlopCount.Gflops(FlopCount.TrainFactor * FlopCount.LinearLayers(model) * train.Count, epochS)));
        Emit.Line("mlp", "test_accuracy", acc);
    }

    /// <summary>JIT warm-up: a few steps of a throwaway model (not timed, does not touch the measured model).</summary>
    static int Warm(LabeledDataset train)
    {
        var m = Classifier.Mlp(new Generator(99));
        var o = new Adam(m.Parameters(), lr: 1e-3);
        var batches = new BatchGatherer(train.Slice(0, 5 * Batch), Batch);
        return Warmup.Run(batches.Epoch(null).Select(b => (Action)(() => Classifier.TrainStep(m, o, b.X, b.Labels))));
    }
}
