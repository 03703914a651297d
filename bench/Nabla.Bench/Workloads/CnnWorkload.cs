using System.Diagnostics;
using Nabla.Data;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Bench;

/// <summary>cnn: 3×(conv3x3-BN-ReLU) + linear, Adam 1e-3, batch 128, first 12,800 images in file order; as ref/cnn.py.</summary>
public static class CnnWorkload
{
    const int Batch = 128, NTrain = 12_800;

    public static void Run(string[] args)
    {
        var (train, test, _) = FashionData.Load(flatten: false);
        train = train.Slice(0, NTrain);
        int warm = Warm(train);
        Generator.ManualSeed(0);
        var model = Classifier.Cnn();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        model.Train();
        float loss = 0;
        var sw = Stopwatch.StartNew();
        foreach (var (x, y) in new BatchGatherer(train, Batch).Epoch(null)) loss = Classifier.TrainStep(model, opt, x, y);
        double trainS = sw.Elapsed.TotalSeconds;
        sw.Restart();
        double acc = Classifier.Accuracy(model, test, 1000);
        double evalS = sw.Elapsed.TotalSeconds;
        Emit.Line("cnn", "train_images_per_s", NTrain / trainS, ("train_s", Math.Round(trainS, 3)), ("eval_s", Math.Round(evalS, 3)),
            ("final_batch_loss", Math.Round(loss, 4)), ("params", model.ParameterCount()), ("warmup_steps", warm),
            ("gflops_effective", FlopCount.Gflops(FlopCount.TrainFactor * FlopCount.Sequential(model, 28, 28) * NTrain, trainS)));
        Emit.Line("cnn", "test_accuracy", acc);
    }

    static int Warm(LabeledDataset train)
    {
        var m = Classifier.Cnn(new Generator(99));
        var o = new Adam(m.Parameters(), lr: 1e-3);
        var batches = new BatchGatherer(train.Slice(0, 2 * Batch), Batch);
        return Warmup.Run(batches.Epoch(null).Select(b => (Action)(() => Classifier.TrainStep(m, o, b.X, b.Labels))));
    }
}
