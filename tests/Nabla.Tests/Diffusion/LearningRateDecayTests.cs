using Nabla.Diffusion;

namespace Nabla.Tests.Diffusion;

/// <summary>The learning-rate decay at the end of a DDPM run: lr(p) = lr · min(1, (1 − p)/f), p the run's progress.</summary>
public class LearningRateDecayTests
{
    static DdpmTrainingOptions Opts(float fraction) => new() { BatchSize = 8, LearningRate = 2e-3f, DiffusionSteps = 100, Seed = 5, LearningRateDecayFraction = fraction };

    [Fact]
    public void FactorIsOneThenFallsLinearlyToZero()
    {
        Assert.Equal(1, Opts(0).LearningRateFactor(0.99));
        var o = Opts(0.5f);
        Assert.Equal(1, o.LearningRateFactor(0));
        Assert.Equal(1, o.LearningRateFactor(0.5));
        Assert.Equal(0.5, o.LearningRateFactor(0.75), 12);
        Assert.Equal(0.2, o.LearningRateFactor(0.9), 6);
        Assert.Equal(0, o.LearningRateFactor(1));
        Assert.Equal(0, o.LearningRateFactor(1.5));
        Assert.Equal(0.25, Opts(1).LearningRateFactor(0.75), 12);
        Assert.Equal(0.5f, DdpmTrainingOptions.FromJson(o.ToJson()).LearningRateDecayFraction);
        foreach (var bad in new[] { -0.1f, 1.5f, float.NaN })
        {
            var e = Assert.Throws<ArgumentException>(() => Opts(bad).Validate());
            Assert.Contains("LearningRateDecayFraction", e.Message);
        }
    }

    [Fact]
    public void AStepAtTheEndOfTheDecayLeavesTheWeightsAlone()
    {
        var (x, y) = DdpmTrainerTests.TinyData();
        var tr = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts(0.5f), x, y);
        var before = tr.Model.StateDict()["out_conv.weight"].ToArray();
        tr.TrainStep(progress: 1);                          // lr · 0
        Assert.Equal(before, tr.Model.StateDict()["out_conv.weight"].ToArray());
        tr.TrainStep(progress: 0.25);                       // full rate
        Assert.NotEqual(before, tr.Model.StateDict()["out_conv.weight"].ToArray());
    }

    [Fact]
    public void DecayFollowsTheStepCapAndResumesExactly()
    {
        var (x, y) = DdpmTrainerTests.TinyData();
        const int n = 8;
        var constant = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts(0), x, y);
        constant.Train(n);
        var straight = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts(0.5f), x, y);
        straight.Train(n);
        // the first half runs at the full rate, so the losses agree up to the step where the decay starts
        Assert.Equal(constant.Losses.Take(5).ToArray(), straight.Losses.Take(5).ToArray());
        Assert.NotEqual(constant.Model.StateDict()["out_conv.weight"].ToArray(), straight.Model.StateDict()["out_conv.weight"].ToArray());

        var dir = Directory.CreateTempSubdirectory("nabla-lrdecay-");
        try
        {
            string path = Path.Combine(dir.FullName, "ck.safetensors");
            using var cts = new CancellationTokenSource();
            var first = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), Opts(0.5f), x, y);
            var r = first.Train(n, checkpointPath: path, cancellation: cts.Token, progress: p => { if (p.Step == 6) cts.Cancel(); });
            Assert.Equal(DdpmTrainingStatus.Cancelled, r.Status);
            Assert.Equal(6, r.Step);                        // stopped inside the decay
            var resumed = DdpmTrainer.Resume(path, x, y);
            resumed.Train(n);
            Assert.Equal(straight.Losses.ToArray(), resumed.Losses.ToArray());
            Assert.Equal(straight.Model.StateDict()["out_conv.weight"].ToArray(), resumed.Model.StateDict()["out_conv.weight"].ToArray());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ProgressIsTheFurtherOfStepCapAndTimeBudget()
    {
        var min = TimeSpan.FromMinutes(1);
        Assert.Equal(0.3, DdpmTrainer.RunProgress(10, int.MaxValue, 3 * min, 10 * min), 12);      // no cap: the budget
        Assert.Equal(0.5, DdpmTrainer.RunProgress(50, 100, 1 * min, 10 * min), 12);               // the cap is further
        Assert.Equal(0.8, DdpmTrainer.RunProgress(50, 100, 8 * min, 10 * min), 12);               // the budget is further
        Assert.Equal(0.25, DdpmTrainer.RunProgress(25, 100, 8 * min, null), 12);                  // no budget
        Assert.Equal(0, DdpmTrainer.RunProgress(25, int.MaxValue, 8 * min, null));               // neither: no decay
        Assert.Equal(1, DdpmTrainer.RunProgress(10, int.MaxValue, 12 * min, 10 * min));           // past the budget
    }
}
