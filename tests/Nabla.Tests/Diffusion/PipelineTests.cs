using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Tests.Diffusion;

public class PipelineTests
{
    /// <summary>The exact network for data concentrated at c, in the output form of <paramref name="kind"/>.</summary>
    internal static NoisePredictor Oracle(NoiseSchedule s, float c, Prediction kind) => (x, t, _) =>
    {
        var o = new float[x.Size];
        int per = x.Size / t.Size;
        for (int i = 0; i < t.Size; i++)
        {
            double ab = s.AlphaBars[(int)t.Data[i]], a = Math.Sqrt(ab), sg = Math.Sqrt(1 - ab);
            for (int j = 0; j < per; j++)
            {
                double xt = x.Data[i * per + j], eps = (xt - a * c) / sg;
                o[i * per + j] = (float)(kind switch { Prediction.Epsilon => eps, Prediction.X0 => c, _ => a * eps - sg * c });
            }
        }
        return new Tensor(o, x.Shape);
    };

    [Fact]
    public void PipelineDrawsLabelledSamplesInRangeInBatches()
    {
        var model = new UNet(DdpmTrainerTests.TinyConfig(), new Generator(1));
        model.Eval();
        var pipe = new DiffusionPipeline(model, NoiseSchedule.Linear(100));
        int steps = 0; var batches = new HashSet<int>();
        var o = new DiffusionSamplingOptions { Steps = 5, BatchSize = 2 };
        var x = pipe.Sample(3, new[] { 0, 1, 2 }, o, new Generator(2), default, p => { steps++; batches.Add(p.Batch); Assert.Equal(2, p.BatchCount); });
        Assert.Equal(new[] { 3, 1, 8, 8 }, x.Shape);
        Assert.Equal(10, steps);   // two batches (2 + 1) × 5 steps
        Assert.Equal(10, pipe.ModelCalls(3, o));
        Assert.Equal(2, batches.Count);
        Assert.All(x.ToArray(), v => Assert.InRange(v, -1f, 1f));
        Assert.Throws<ArgumentException>(() => pipe.Sample(1, null, new DiffusionSamplingOptions { Steps = 101 }, new Generator(0)));
        Assert.Throws<ArgumentException>(() => pipe.Sample(2, new[] { 0 }, o, new Generator(0)));
        Assert.Throws<ArgumentException>(() => pipe.Sample(1, new[] { 11 }, o, new Generator(0)));
    }

    [Fact]
    public void PipelineStopsWhenCancelled()
    {
        using var cts = new CancellationTokenSource();
        int calls = 0;
        NoisePredictor m = (x, t, _) => { if (++calls == 3) cts.Cancel(); return Tensor.Zeros(x.Shape); };
        var pipe = new DiffusionPipeline(m, NoiseSchedule.Linear(100), new[] { 1, 2, 2 });
        Assert.ThrowsAny<OperationCanceledException>(() => pipe.Sample(2, null, new DiffusionSamplingOptions { Steps = 10 }, new Generator(0), cts.Token));
        Assert.Equal(3, calls);
    }

    [Theory]
    [InlineData(SamplerKind.Ddim, Prediction.Epsilon)]
    [InlineData(SamplerKind.Ddim, Prediction.V)]
    [InlineData(SamplerKind.Ancestral, Prediction.X0)]
    [InlineData(SamplerKind.DpmSolverPP2M, Prediction.Epsilon)]
    [InlineData(SamplerKind.DpmSolverPP2M, Prediction.V)]
    [InlineData(SamplerKind.Euler, Prediction.X0)]
    public void EverySamplerAndObjectiveRecoversTheDataWithTheExactModel(SamplerKind kind, Prediction objective)
    {
        var s = NoiseSchedule.Cosine(1000);
        foreach (var clip in new[] { false, true })
        {
            var pipe = new DiffusionPipeline(Oracle(s, -0.6f, objective), s, new[] { 2, 2 }, objective);
            var x = pipe.Sample(3, null, new DiffusionSamplingOptions { Sampler = kind, Steps = 12, ClipX0 = clip, Eta = 0.5f }, new Generator(4));
            foreach (var v in x.ToArray()) Assert.True(Math.Abs(v + 0.6f) < 1e-3, $"{kind} {objective} clip={clip}: sample {v}");
        }
    }

    [Fact]
    public void ZeroTerminalSnrWithVRecoversTheData()
    {
        var s = NoiseSchedule.Linear(1000).RescaleZeroTerminalSnr();
        Assert.Equal(0f, s.AlphaBars[^1]);
        foreach (var kind in new[] { SamplerKind.DpmSolverPP2M, SamplerKind.Ddim })
        {
            var pipe = new DiffusionPipeline(Oracle(s, 0.4f, Prediction.V), s, new[] { 3 }, Prediction.V);
            var x = pipe.Sample(2, null, new DiffusionSamplingOptions { Sampler = kind, Steps = 10 }, new Generator(1));
            foreach (var v in x.ToArray()) Assert.True(Math.Abs(v - 0.4f) < 1e-3, $"{kind}: sample {v}");
        }
    }

    [Fact]
    public void TrailingDdimPipelineEqualsTheDdimSampler()
    {
        var s = NoiseSchedule.Linear(200);
        NoisePredictor m = (x, t, _) => x * 0.3f;
        var a = new DdimSampler(s, 8, eta: 0.3f).Sample(m, new[] { 2, 3 }, null, new Generator(7));
        var b = new DiffusionPipeline(m, s, new[] { 3 }).Sample(2, null, new DiffusionSamplingOptions { Sampler = SamplerKind.Ddim, Steps = 8, Eta = 0.3f }, new Generator(7));
        for (int i = 0; i < 6; i++) Assert.Equal(Math.Clamp(a.Data[i], -1f, 1f), b.Data[i], 5);
    }

    [Fact]
    public void TrajectoryKeepsTheChosenStates()
    {
        var s = NoiseSchedule.Linear(100);
        NoisePredictor m = (x, t, _) => x * 0.1f;
        var pipe = new DiffusionPipeline(m, s, new[] { 2 });
        var seen = new List<float[]>();
        var o = new DiffusionSamplingOptions { Steps = 5, BatchSize = 1 };
        pipe.Sample(2, null, o, new Generator(3), default, p => { if (p.Step.Index == 2) seen.Add(p.Step.Xt.ToArray()); });
        var tr = pipe.SampleTrajectory(2, null, o, new Generator(3), new[] { 2, 0 });
        Assert.Equal(new[] { 99, 59 }, tr.Timesteps);
        Assert.Equal(seen.SelectMany(r => r), tr.Snapshots[1].ToArray());
    }

    [Fact]
    public void CheckpointCarriesObjectiveScheduleAndDefaultGuidanceAndOldOnesReadAsEpsilon()
    {
        var (x, y) = DdpmTrainerTests.TinyData();
        var opts = new DdpmTrainingOptions
        {
            BatchSize = 4, DiffusionSteps = 50, Seed = 2, Objective = Prediction.V, MinSnrGamma = 5,
            Schedule = BetaSchedule.Sigmoid, ZeroTerminalSnr = true, DefaultGuidance = 3.5f,
        };
        var tr = new DdpmTrainer(DdpmTrainerTests.TinyConfig(), opts, x, y);
        Assert.True(float.IsFinite(tr.TrainStep()));
        var dir = Directory.CreateTempSubdirectory("nabla-pipe-");
        try
        {
            string path = Path.Combine(dir.FullName, "ck.safetensors");
            tr.SaveCheckpoint(path);
            var pipe = DiffusionPipeline.Load(path);
            Assert.Equal(Prediction.V, pipe.Prediction);
            Assert.Equal(3.5f, pipe.DefaultGuidance);
            Assert.True(pipe.Schedule.ZeroTerminalSnr);
            Assert.Equal(BetaSchedule.Sigmoid, pipe.Schedule.Kind);
            Assert.Equal(3, pipe.NumClasses);
            var s = pipe.Sample(2, new[] { 0, 3 }, new DiffusionSamplingOptions { Steps = 4 }, new Generator(1));
            Assert.All(s.ToArray(), v => Assert.True(float.IsFinite(v)));
        }
        finally { dir.Delete(true); }
        var old = DdpmTrainingOptions.FromJson("{\"BatchSize\":64,\"LearningRate\":0.0002,\"Schedule\":\"Linear\",\"DiffusionSteps\":1000,\"LabelDropout\":0.1,\"EmaMaxDecay\":0.999,\"Seed\":0}");
        Assert.Equal(Prediction.Epsilon, old.Objective);
        Assert.Equal(0f, old.MinSnrGamma);
        Assert.False(old.ZeroTerminalSnr);
        Assert.Equal(2f, old.DefaultGuidance);
    }
}
