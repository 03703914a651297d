using Nabla.Models;
using Nabla.Optim;
using Nabla.Tests.Distributed;

namespace Nabla.Tests.Models;

/// <summary>
/// <see cref="EpochTrainer.UseDataParallel"/> in one process: K shards × batch b take the steps one process takes with
/// batch K·b on the same images (the shards' gradients weighted by their sizes when the last batch splits unevenly).
/// </summary>
public class EpochTrainerDataParallelTests
{
    static EpochTrainerOptions Options(int batch) => new() { Epochs = 1, BatchSize = batch, LearningRate = 1e-3, Seed = 7 };

    [Theory]
    [InlineData(256)]   // 4 full global batches of 64
    [InlineData(233)]   // and a last one of 41: shards of 20 and 21 images
    public void TwoShardsOfBatch32EqualOneProcessOfBatch64(int images)
    {
        var data = ModelTestData.Flat(images + 64);
        var train = data.Slice(0, images);
        var test = data.Slice(images, 64);
        var single = EpochTrainer.ForClassifier("mlp", train, test, Options(64));
        var sharded = EpochTrainer.ForClassifier("mlp", train, test, Options(32)).UseDataParallel(new LocalDataParallel(2));
        Assert.Equal(64, sharded.GlobalBatchSize);
        Assert.Equal(single.StepsPerEpoch, sharded.StepsPerEpoch);
        var a = single.Train();
        var b = sharded.Train();
        Assert.Equal(a.Steps, b.Steps);
        for (int i = 0; i < a.Losses.Count; i++)
        {
            Assert.True(Math.Abs(a.Losses[i] - b.Losses[i]) <= 1e-5 * Math.Abs(a.Losses[i]), $"loss {i}: {a.Losses[i]} vs {b.Losses[i]}");
            Assert.True(Math.Abs(a.StepMetrics["acc"][i] - b.StepMetrics["acc"][i]) <= 1e-6, $"acc {i}");
        }
        Assert.Equal(a.Epochs[0].TrainMetric("acc"), b.Epochs[0].TrainMetric("acc"), 6);
        MpiDataParallelTests.AssertClose(single.Model.StateDict(), sharded.Model.StateDict(), 1e-6);
    }

    [Fact]
    public void AFinalBatchSmallerThanTheShardCountIsSkipped()
    {
        var data = ModelTestData.Flat(80);
        var trainer = EpochTrainer.ForAutoencoder(false, 4, data.Slice(0, 67), data.Slice(67, 13), Options(8) with { Epochs = 2 })
            .UseDataParallel(new LocalDataParallel(3));   // 67 = 2·24 + 19 (three shards of 6 or 7), then nothing left over
        Assert.Equal(3, trainer.StepsPerEpoch);
        var r = trainer.Train();
        Assert.Equal(6, r.Steps);
        Assert.Null(r.Interrupted);

        var tiny = EpochTrainer.ForAutoencoder(false, 4, data.Slice(0, 50), data.Slice(67, 13), Options(8)).UseDataParallel(new LocalDataParallel(3));
        Assert.Equal(2, tiny.StepsPerEpoch);   // 50 = 2·24 + 2: the 2 left over cannot fill 3 shards
        Assert.Equal(2, tiny.Train().Steps);
    }

    [Fact]
    public void ATrainerWhoseStepStepsTheOptimizerCannotBeSharded()
    {
        var data = ModelTestData.Flat(16);
        var net = Classifier.Create("mlp", new Generator(1));
        var opt = new Adam(net.Parameters());
        var trainer = new EpochTrainer(net, opt, new Nabla.Data.DataLoader(data, 8), b => new StepResult(Classifier.TrainStep(net, opt, b.X, b.Labels)),
            () => [], () => [], Options(8));
        var e = Assert.Throws<InvalidOperationException>(() => trainer.UseDataParallel(new LocalDataParallel(2)));
        Assert.Contains("ShardLoss", e.Message);
        Assert.Same(trainer, trainer.UseDataParallel(LocalDataParallel.Single));
    }
}
