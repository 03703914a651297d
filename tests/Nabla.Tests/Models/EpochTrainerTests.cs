using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Tests.Models;

public class EpochTrainerTests
{
    static EpochTrainerOptions Options(int epochs = 2, string? checkpoint = null) =>
        new() { Epochs = epochs, BatchSize = 64, LearningRate = 1e-3, Seed = 7, CheckpointPath = checkpoint };

    [Fact]
    public void ClassifierTrainsAndWritesTheCheckpointOfTheLastEpoch()
    {
        var data = ModelTestData.Flat(640);
        var train = data.Slice(0, 512);
        var test = data.Slice(512, 128);
        string dir = Directory.CreateTempSubdirectory("nabla-epoch").FullName;
        try
        {
            string ck = Path.Combine(dir, "checkpoint.safetensors");
            var trainer = EpochTrainer.ForClassifier("mlp", train, test, Options(epochs: 3, checkpoint: ck));
            Assert.Equal(8, trainer.StepsPerEpoch);
            Assert.Equal(24, trainer.TotalSteps);
            var r = trainer.Train();
            Assert.False(r.Cancelled);
            Assert.Null(r.Interrupted);
            Assert.Equal(3, r.EpochsDone);
            Assert.Equal(24, r.Steps);
            Assert.Equal(24, r.Losses.Count);
            Assert.Equal(24, r.StepMetrics["acc"].Count);
            Assert.True(r.Epochs[2].TrainLoss < r.Epochs[0].TrainLoss, $"train loss {r.Epochs[0].TrainLoss} → {r.Epochs[2].TrainLoss}");
            Assert.True(r.FinalMetric("accuracy") > 0.4, $"test accuracy {r.FinalMetric("accuracy")}");
            Assert.Equal(r.Epochs[^1].TestMetric("accuracy"), r.FinalMetric("accuracy"));

            var file = SafeTensorFile.Read(ck);
            Assert.Equal("3", file.Metadata["epochs"]);
            Assert.Equal("64", file.Metadata["batch"]);
            Assert.Equal("7", file.Metadata["seed"]);
            Assert.Equal("mlp", Classifier.ArchitectureOf(file.Metadata));
            var reloaded = Classifier.Create("mlp");
            reloaded.LoadSafetensors(ck);
            Assert.Equal(r.FinalMetric("accuracy"), Classifier.Accuracy(reloaded, test));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void LossesEqualThoseOfTheHandWrittenLoop()
    {
        // The loop the mlp command ran before the trainer existed: seed forks 1 (init) and 2 (shuffling), Adam.
        var data = ModelTestData.Flat(320);
        var train = data.Slice(0, 256);
        var root = new Generator(7);
        var net = Classifier.Create("mlp", root.Fork(1));
        var opt = new Adam(net.Parameters(), lr: 1e-3);
        var loader = new DataLoader(train, 64, shuffle: true, generator: root.Fork(2));
        var expected = new List<double>();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            net.Train();
            foreach (var b in loader) expected.Add(Classifier.TrainStep(net, opt, b.X, b.Labels));
        }

        var r = EpochTrainer.ForClassifier("mlp", train, data.Slice(256, 64), Options()).Train();
        Assert.Equal(expected, r.Losses);
    }

    [Fact]
    public void CallbacksFireForEveryStepAndEpoch()
    {
        var data = ModelTestData.Flat(320);
        var trainer = EpochTrainer.ForAutoencoder(false, 8, data.Slice(0, 256), data.Slice(256, 64), Options());
        var steps = new List<EpochTrainerStep>();
        var epochs = new List<EpochSummary>();
        var r = trainer.Train(default, steps.Add, epochs.Add);
        Assert.Equal(8, steps.Count);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), steps.Select(s => s.Step));
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2], steps.Select(s => s.Epoch));
        Assert.All(steps, s => Assert.Equal(8, s.TotalSteps));
        Assert.All(steps, s => Assert.True(s.ExamplesPerSecond > 0));
        Assert.Equal(r.Losses, steps.Select(s => s.Loss));
        Assert.Equal([1, 2], epochs.Select(e => e.Epoch));
        Assert.Equal(r.Epochs, epochs);
        Assert.Equal(steps.Take(4).Average(s => s.Loss), epochs[0].TrainLoss, 9);   // equal batches: the mean of the step losses
        Assert.True(epochs[1].TestMetric("reconstruction") > 0);
    }

    [Fact]
    public void StopsOnCancellationKeepingTheInitialCheckpoint()
    {
        var data = ModelTestData.Images(320);
        string dir = Directory.CreateTempSubdirectory("nabla-epoch").FullName;
        try
        {
            string ck = Path.Combine(dir, "checkpoint.safetensors");
            var trainer = EpochTrainer.ForVae("mlp", 4, data.Slice(0, 256).Flattened(), data.Slice(256, 64).Flattened(), Options(epochs: 5, checkpoint: ck));
            using var cts = new CancellationTokenSource();
            int epochsSeen = 0;
            var r = trainer.Train(cts.Token, s => { if (s.Step == 3) cts.Cancel(); }, _ => epochsSeen++);
            Assert.True(r.Cancelled);
            Assert.Equal(3, r.Steps);
            Assert.Equal(0, r.EpochsDone);
            Assert.Equal(0, epochsSeen);
            Assert.Equal((1, 3L * 64), r.Interrupted);
            Assert.Equal(3, r.StepMetrics["recon"].Count);
            Assert.Equal("0", SafeTensorFile.Read(ck).Metadata["epochs"]);
            Assert.Equal(-(r.FinalMetric("reconstruction") + r.FinalMetric("kl")), r.FinalMetric("elbo"), 9);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void CancellationBeforeTheFirstStepTakesNone()
    {
        var data = ModelTestData.Flat(128);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = EpochTrainer.ForClassifier("mlp", data.Slice(0, 64), data.Slice(64, 64), Options()).Train(cts.Token);
        Assert.True(r.Cancelled);
        Assert.Equal(0, r.Steps);
        Assert.Empty(r.Epochs);
        Assert.InRange(r.FinalMetric("accuracy"), 0, 1);                      // the untrained model, evaluated once
    }

    [Theory]
    [InlineData("Epochs")]
    [InlineData("BatchSize")]
    [InlineData("LearningRate")]
    public void BadOptionsThrowNamingTheOption(string option)
    {
        var o = option switch
        {
            "Epochs" => Options() with { Epochs = 0 },
            "BatchSize" => Options() with { BatchSize = -1 },
            _ => Options() with { LearningRate = double.NaN },
        };
        var data = ModelTestData.Flat(64);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EpochTrainer.ForClassifier("mlp", data, data, o));
        Assert.Equal(option, e.ParamName);
        Assert.Contains("EpochTrainerOptions." + option, e.Message);
        Assert.Throws<ArgumentException>(() => EpochTrainer.ForClassifier("mlp", data, data, Options() with { CheckpointPath = "" }));
    }

    [Fact]
    public void UnknownMetricNamesTheOnesThereAre()
    {
        var data = ModelTestData.Flat(128);
        var r = EpochTrainer.ForClassifier("mlp", data.Slice(0, 64), data.Slice(64, 64), Options(epochs: 1)).Train();
        var e = Assert.Throws<KeyNotFoundException>(() => r.FinalMetric("acuracy"));
        Assert.Contains("accuracy", e.Message);
    }
}
