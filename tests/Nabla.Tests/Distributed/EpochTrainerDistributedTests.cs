using Nabla.Distributed;
using Nabla.Models;
using Nabla.Optim;
using Nabla.Tests.Models;

namespace Nabla.Tests.Distributed;

/// <summary><see cref="EpochTrainer"/> over two thread ranks (<see cref="ThreadGroup"/>) against one process computing both shards.</summary>
public class EpochTrainerDistributedTests
{
    static EpochTrainerOptions Options(string? checkpoint = null) => new() { Epochs = 2, BatchSize = 16, LearningRate = 1e-3, Seed = 3, CheckpointPath = checkpoint };

    [Fact]
    public void VaeOnTwoRanksEqualsOneProcessComputingBothShards()
    {
        // The VAE draws ε per shard: equality shows shard k's noise does not depend on which process computes it.
        var data = ModelTestData.Flat(120);
        var (train, test) = (data.Slice(0, 101), data.Slice(101, 19));   // 101 = 3·32 + 5: a last batch of shards of 2 and 3
        var reference = EpochTrainer.ForVae("mlp", 4, train, test, Options()).UseDataParallel(new LocalDataParallel(2));
        var expected = reference.Train();
        string dir = Directory.CreateTempSubdirectory("nabla-epoch-ddp").FullName;
        try
        {
            string ck = Path.Combine(dir, "checkpoint.safetensors");
            var ranks = ThreadGroup.Run(2, g =>
            {
                var tr = EpochTrainer.ForVae("mlp", 4, train, test, Options(ck)).UseDataParallel(new DistributedDataParallel(g, new DataParallelOptions { ChecksumEvery = 1 }));
                return (tr, tr.Train());
            });
            foreach (var (tr, r) in ranks)
            {
                Assert.Equal(expected.Losses.ToArray(), r.Losses.ToArray());
                Assert.Equal(expected.StepMetrics["kl"].ToArray(), r.StepMetrics["kl"].ToArray());
                foreach (var (k, t) in reference.Model.StateDict()) Assert.Equal(t.ToArray(), tr.Model.StateDict()[k].ToArray());
            }
            Assert.Equal(2 * 4, expected.Steps);
            Assert.True(File.Exists(ck));   // written by rank 0
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void OneRanksCancellationStopsEveryRankAfterTheSameStep()
    {
        var data = ModelTestData.Flat(200);
        var results = ThreadGroup.Run(2, g =>
        {
            var tr = EpochTrainer.ForClassifier("mlp", data.Slice(0, 160), data.Slice(160, 40), Options()).UseDataParallel(new DistributedDataParallel(g));
            using var cts = new CancellationTokenSource();
            return tr.Train(cts.Token, s => { if (g.Rank == 1 && s.Step == 2) cts.Cancel(); });
        });
        Assert.All(results, r => { Assert.True(r.Cancelled); Assert.Equal(3, r.Steps); Assert.Equal((1, 96L), r.Interrupted); });
    }
}
