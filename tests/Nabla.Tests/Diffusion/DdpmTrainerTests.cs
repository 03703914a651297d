using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Tests.Diffusion;

public class DdpmTrainerTests
{
    internal static UNetConfig TinyConfig(int classes = 3) => new()
    {
        ImageSize = 8, BaseChannels = 8, ChannelMults = new[] { 1, 2 }, Groups = 4, SinusoidalDim = 16, TimeEmbedDim = 32, NumClasses = classes,
    };

    /// <summary>Three classes of 8×8 patterns in [−1, 1]: horizontal bars, vertical bars, a centred square.</summary>
    internal static (Tensor images, int[] labels) TinyData(int n = 24)
    {
        var x = new float[n * 64]; var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++)
                {
                    bool on = y[i] switch { 0 => r % 2 == 0, 1 => c % 2 == 0, _ => r >= 2 && r < 6 && c >= 2 && c < 6 };
                    x[i * 64 + r * 8 + c] = on ? 1f : -1f;
                }
        }
        return (new Tensor(x, n, 1, 8, 8), y);
    }

    static DdpmTrainingOptions Opts => new() { BatchSize = 8, LearningRate = 2e-3f, DiffusionSteps = 100, Seed = 5 };

    [Fact]
    public void ResumingReproducesTheUninterruptedRunBitwise()
    {
        var (x, y) = TinyData();
        const int n = 8, k = 3;
        var straight = new DdpmTrainer(TinyConfig(), Opts, x, y);
        for (int i = 0; i < n; i++) straight.TrainStep();

        var dir = Directory.CreateTempSubdirectory("nabla-ddpm-");
        try
        {
            string path = Path.Combine(dir.FullName, "ck.safetensors");
            var first = new DdpmTrainer(TinyConfig(), Opts, x, y);
            var r = first.Train(k, checkpointPath: path);
            Assert.Equal(DdpmTrainingStatus.Completed, r.Status);
            Assert.True(File.Exists(path));
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp"));
            var resumed = DdpmTrainer.Resume(path, x, y);
            Assert.Equal(k, resumed.Step);
            resumed.Train(n);
            Assert.Equal(n, resumed.Step);
            Assert.Equal(straight.Losses.ToArray(), resumed.Losses.ToArray());   // exact float equality, loss by loss
            Assert.Equal(straight.Model.StateDict()["out_conv.weight"].ToArray(), resumed.Model.StateDict()["out_conv.weight"].ToArray());
            Assert.Equal(straight.EmaModel.StateDict()["conv_in.weight"].ToArray(), resumed.EmaModel.StateDict()["conv_in.weight"].ToArray());
            Assert.Equal(straight.Generator.Offset, resumed.Generator.Offset);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void LossFallsOnTinyData()
    {
        var (x, y) = TinyData();
        var tr = new DdpmTrainer(TinyConfig(), Opts with { BatchSize = 16 }, x, y);
        tr.Train(120);
        double first = tr.Losses.Take(15).Average(), last = tr.Losses.Skip(105).Average();
        Assert.True(last < 0.6 * first, $"loss {first:F3} → {last:F3}");
    }

    [Fact]
    public void CancellationAndTimeBudgetWriteACheckpoint()
    {
        var (x, y) = TinyData();
        var dir = Directory.CreateTempSubdirectory("nabla-ddpm-");
        try
        {
            string path = Path.Combine(dir.FullName, "ck.safetensors");
            var tr = new DdpmTrainer(TinyConfig(), Opts, x, y);
            using var cts = new CancellationTokenSource();
            var r = tr.Train(100, checkpointPath: path, cancellation: cts.Token, progress: p => { if (p.Step == 2) cts.Cancel(); });
            Assert.Equal(DdpmTrainingStatus.Cancelled, r.Status);
            Assert.Equal(2, r.Step);
            Assert.True(r.CheckpointWritten);
            Assert.Equal(2, DdpmCheckpoint.Read(path).Step);
            var r2 = DdpmTrainer.Resume(path, x, y).Train(100, timeBudget: TimeSpan.Zero, checkpointPath: path);
            Assert.Equal(DdpmTrainingStatus.TimeBudgetReached, r2.Status);
            Assert.Equal(2, r2.Step);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void DivergenceStopsAndKeepsTheLastGoodCheckpoint()
    {
        var (x, y) = TinyData();
        var dir = Directory.CreateTempSubdirectory("nabla-ddpm-");
        try
        {
            string path = Path.Combine(dir.FullName, "ck.safetensors");
            var tr = new DdpmTrainer(TinyConfig(), Opts, x, y);
            tr.Train(2, checkpointPath: path);
            var before = File.ReadAllBytes(path);
            tr.Model.StateDict()["out_conv.bias"].Data[0] = float.NaN;   // poison the network
            var r = tr.Train(10, checkpointPath: path, checkpointEvery: 1);
            Assert.Equal(DdpmTrainingStatus.Diverged, r.Status);
            Assert.Contains("NaN", r.Message);
            Assert.Contains("step 3", r.Message);
            Assert.Equal(2, tr.Step);
            Assert.False(r.CheckpointWritten);
            Assert.Equal(before, File.ReadAllBytes(path));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void CheckpointSamplingModelAndArgumentErrors()
    {
        var (x, y) = TinyData();
        Assert.Throws<ArgumentException>(() => new DdpmTrainer(TinyConfig(), Opts, x, null));
        Assert.Throws<ArgumentException>(() => new DdpmTrainer(TinyConfig(), Opts, x, new int[3]));
        Assert.Throws<ArgumentException>(() => new DdpmTrainer(TinyConfig(), Opts, x, y.Select(v => v + 1).ToArray()));
        Assert.Throws<ArgumentException>(() => new DdpmTrainer(TinyConfig(), Opts, Tensor.Zeros(4, 1, 7, 7), new int[4]));
        Assert.Throws<ArgumentException>(() => new DdpmTrainer(TinyConfig(), Opts with { BatchSize = 0 }, x, y));
        Assert.Throws<ArgumentException>(() => new DdpmTrainer(TinyConfig(), Opts with { LabelDropout = 2 }, x, y));
        var tr = new DdpmTrainer(TinyConfig(0), Opts, x);   // unconditional: labels not needed
        Assert.False(tr.Conditional);
        tr.TrainStep();
        var ck = tr.Checkpoint();
        var m = ck.BuildModel();
        Assert.Equal(tr.EmaModel.StateDict()["conv_in.weight"].ToArray(), m.StateDict()["conv_in.weight"].ToArray());
        Assert.Throws<FileNotFoundException>(() => DdpmCheckpoint.Read("/nonexistent/ck.safetensors"));
    }

    [Fact]
    public void EmaUsesTheWarmUpDecay()
    {
        var a = new UNet(TinyConfig(0), new Generator(1)); var b = new UNet(TinyConfig(0), new Generator(2));
        var ema = new WeightEma(a, b, 0.999f);
        var p = a.StateDict()["conv_in.bias"]; var s = b.StateDict()["conv_in.bias"];
        Assert.Equal(p.ToArray(), s.ToArray());   // starts as a copy
        Assert.Equal(0.1f, ema.Decay, 6);         // (1 + 0)/(10 + 0)
        float before = s.Data[0];
        p.Data[0] += 1f;
        ema.Update();
        Assert.Equal(before + 0.9f, s.Data[0], 5);
        Assert.Equal(2f / 11f, ema.Decay, 6);
        ema.Updates = 100_000;
        Assert.Equal(0.999f, ema.Decay);
        Assert.Throws<ArgumentException>(() => new WeightEma(a, new UNet(TinyConfig(3), new Generator(0))));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightEma(a, b, 1f));
    }
}
