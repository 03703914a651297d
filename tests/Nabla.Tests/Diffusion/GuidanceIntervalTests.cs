using Nabla.Diffusion;
using Nabla.Models;

namespace Nabla.Tests.Diffusion;

public class GuidanceIntervalTests
{
    static readonly UNetConfig Tiny = new() { ImageSize = 8, BaseChannels = 8, ChannelMults = new[] { 1, 2 }, Groups = 4, TimeEmbedDim = 32, SinusoidalDim = 16, NumClasses = 3 };

    [Fact]
    public void ParsesValidatesAndDescribesIntervals()
    {
        Assert.Equal(new GuidanceInterval(0.3, 5), GuidanceInterval.Parse("0.3,5"));
        Assert.Equal(new GuidanceInterval(0.5, double.PositiveInfinity), GuidanceInterval.Parse(" 0.5 , inf "));
        Assert.Equal(new GuidanceInterval(1, double.PositiveInfinity), GuidanceInterval.Parse("1,"));
        Assert.True(GuidanceInterval.Parse("all").IsEverywhere);
        Assert.Equal("σ ∈ (0.3, 5]", new GuidanceInterval(0.3, 5).ToString());
        Assert.Equal("σ ∈ (1, ∞]", new GuidanceInterval(1, double.PositiveInfinity).ToString());
        Assert.Equal("everywhere", GuidanceInterval.Everywhere.ToString());
        foreach (var g in new[] { new GuidanceInterval(0.3, 5), new GuidanceInterval(1, double.PositiveInfinity), GuidanceInterval.Everywhere })
            Assert.Equal(g, GuidanceInterval.Parse(g.ToOptionText()));
        Assert.Equal("0.3,inf", new GuidanceInterval(0.3, double.PositiveInfinity).ToOptionText());
        var withInterval = new DdpmTrainingOptions().WithGuidanceInterval(new GuidanceInterval(0.5, double.PositiveInfinity));
        Assert.Equal((0.5f, (float?)null), (withInterval.GuidanceSigmaLow, withInterval.GuidanceSigmaHigh));
        foreach (var bad in new[] { "", "5", "a,b", "1,2,3", "5,1", "-1,2", "2,2", "nan,3" })
        {
            var e = Assert.Throws<FormatException>(() => GuidanceInterval.Parse(bad));
            Assert.Contains("GuidanceInterval", e.Message);
        }
        Assert.Throws<ArgumentException>(() => new DiffusionSamplingOptions { GuidanceInterval = new GuidanceInterval(3, 1) }.Validate(1000));
    }

    [Fact]
    public void SigmaIsTheNoiseToSignalRatioOfTheSchedule()
    {
        var s = NoiseSchedule.Create(BetaSchedule.Linear, 1000);
        foreach (var t in new[] { 0, 10, 500, 999 })
        {
            double ab = s.AlphaBars[t];
            Assert.Equal(Math.Sqrt((1 - ab) / ab), GuidanceInterval.Sigma(s, t), 12);
        }
        var z = NoiseSchedule.Create(BetaSchedule.Cosine, 1000, zeroTerminalSnr: true);
        Assert.True(double.IsPositiveInfinity(GuidanceInterval.Sigma(z, 999)));
        var open = new GuidanceInterval(1, double.PositiveInfinity);
        Assert.True(open.Contains(z, 999));
        Assert.False(new GuidanceInterval(1, 10).Contains(z, 999));
        // σ rises with t: the interval is one contiguous run of timesteps
        var g = new GuidanceInterval(0.3, 5);
        var inside = Enumerable.Range(0, 1000).Where(t => g.Contains(s, t)).ToArray();
        Assert.NotEmpty(inside);
        Assert.Equal(inside.Length, inside[^1] - inside[0] + 1);
        Assert.True(GuidanceInterval.Sigma(s, inside[0]) > 0.3 && GuidanceInterval.Sigma(s, inside[0] - 1) <= 0.3);
        Assert.True(GuidanceInterval.Sigma(s, inside[^1]) <= 5 && GuidanceInterval.Sigma(s, inside[^1] + 1) > 5);
    }

    [Fact]
    public void RowsOutsideTheIntervalGetTheConditionalPredictionAndAnUnguidedCallRunsOnce()
    {
        var rowsSeen = new List<int>();
        NoisePredictor m = (x, t, labels) =>
        {
            rowsSeen.Add(x.Dim(0));
            var o = new float[x.Size];
            int per = x.Size / x.Dim(0);
            for (int i = 0; i < o.Length; i++) o[i] = labels!.Data[i / per] + x.Data[i] * t.Data[i / per];
            return new Tensor(o, x.Shape);
        };
        var guided = ClassifierFreeGuidance.Wrap(m, nullLabel: 10, scale: 2f, guideAt: t => t >= 5);
        var x = Tensor.FromArray(new[] { 0.5f, -1f, 2f, 0f, 1f, 3f }, 3, 2);
        var eps = guided(x, Tensor.FromArray(new[] { 7f, 2f, 5f }), Tensor.FromArray(new[] { 1f, 2f, 3f }));
        Assert.Equal(new[] { 6 }, rowsSeen);
        float[] ts = { 7, 2, 5 }, ls = { 1, 2, 3 };
        for (int i = 0; i < 6; i++)
        {
            int r = i / 2;
            float c = ls[r] + x.Data[i] * ts[r], u = 10 + x.Data[i] * ts[r];
            Assert.Equal(ts[r] >= 5 ? 3 * c - 2 * u : c, eps.Data[i], 5);
        }
        rowsSeen.Clear();
        var plain = guided(x, Tensor.FromArray(new[] { 1f, 2f, 3f }), Tensor.FromArray(new[] { 1f, 2f, 3f }));
        Assert.Equal(new[] { 3 }, rowsSeen);       // no row guided: one call of B rows
        for (int i = 0; i < 6; i++) Assert.Equal(ls[i / 2] + x.Data[i] * (i / 2 + 1), plain.Data[i], 5);
    }

    static (DiffusionPipeline pipe, UNet net, NoiseSchedule s) Pipeline()
    {
        var net = new UNet(Tiny, new Generator(3));
        net.Eval();
        var s = NoiseSchedule.Create(BetaSchedule.Cosine, 100, zeroTerminalSnr: true);
        return (new DiffusionPipeline(net, s, Prediction.V), net, s);
    }

    [Fact]
    public void AnIntervalThatHoldsNoStepSamplesAsGuidanceZeroAndEverywhereAsTheClassicSampler()
    {
        var (pipe, _, _) = Pipeline();
        int[] labels = { 0, 1, 2, 1 };
        var o = new DiffusionSamplingOptions { Steps = 8, Guidance = 3 };
        var classic = pipe.Sample(4, labels, o, new Generator(9)).ToArray();
        var everywhere = pipe.Sample(4, labels, o with { GuidanceInterval = GuidanceInterval.Everywhere }, new Generator(9)).ToArray();
        Assert.Equal(classic, everywhere);
        var none = pipe.Sample(4, labels, o with { GuidanceInterval = new GuidanceInterval(1e6, 1e7) }, new Generator(9)).ToArray();
        var unguided = pipe.Sample(4, labels, o with { Guidance = 0 }, new Generator(9)).ToArray();
        Assert.Equal(unguided, none);
        var part = pipe.Sample(4, labels, o with { GuidanceInterval = new GuidanceInterval(0.5, 20) }, new Generator(9)).ToArray();
        Assert.NotEqual(classic, part);
        Assert.NotEqual(unguided, part);
        Assert.Contains("guidance w = 3 at σ ∈ (0.5, 20]", (o with { GuidanceInterval = new GuidanceInterval(0.5, 20) }).Describe(true, 2f));
    }

    [Fact]
    public async Task TheCheckpointCarriesADefaultIntervalAndTheBatchingSamplerHonoursIt()
    {
        var o = DdpmTrainingOptions.FromJson(new DdpmTrainingOptions { GuidanceSigmaLow = 0.5f, GuidanceSigmaHigh = 20f }.ToJson());
        Assert.Equal(new GuidanceInterval(0.5, 20), o.DefaultGuidanceInterval);
        Assert.True(DdpmTrainingOptions.FromJson(new DdpmTrainingOptions().ToJson()).DefaultGuidanceInterval.IsEverywhere);
        Assert.Throws<ArgumentException>(() => new DdpmTrainingOptions { GuidanceSigmaLow = 2, GuidanceSigmaHigh = 1 }.Validate());

        var (_, net, s) = Pipeline();
        var pipe = new DiffusionPipeline(net, s, Prediction.V) { DefaultGuidanceInterval = new GuidanceInterval(0.5, 20) };
        var opts = new DiffusionSamplingOptions { Steps = 8, Guidance = 2 };
        var alone = pipe.Sample(2, new[] { 1, 1 }, opts, new Generator(4)).ToArray();
        Assert.NotEqual(new DiffusionPipeline(net, s, Prediction.V).Sample(2, new[] { 1, 1 }, opts, new Generator(4)).ToArray(), alone);
        using var sampler = new ContinuousBatchSampler(pipe);
        var job = sampler.Submit(new SampleRequest { Count = 2, Label = 1, Seed = 4, Options = opts });
        var got = (await job.Completion.WaitAsync(TimeSpan.FromSeconds(60))).ToArray();
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(alone[i] - got[i]) < 1e-3f, $"value {i}: alone {alone[i]}, batched {got[i]}");
    }

    [Fact]
    public void TheDefaultGuidanceScaleFollowsHowFarTrainingGot()
    {
        var o = new DdpmTrainingOptions { DefaultGuidance = 5, LateGuidance = 3, LateGuidanceFromStep = 1600 };
        Assert.Equal(5f, o.GuidanceAt(0));
        Assert.Equal(5f, o.GuidanceAt(1599));
        Assert.Equal(3f, o.GuidanceAt(1600));       // no ramp: a switch
        Assert.Equal(3f, DdpmTrainingOptions.FromJson(o.ToJson()).GuidanceAt(5000));
        Assert.Equal(2f, new DdpmTrainingOptions { DefaultGuidance = 2 }.GuidanceAt(100_000));
        var ramp = o with { GuidanceRampFromStep = 1000, LateGuidanceFromStep = 2000 };
        Assert.Equal(5f, ramp.GuidanceAt(1000));
        Assert.Equal(4f, ramp.GuidanceAt(1500), 5);
        Assert.Equal(3.5f, DdpmTrainingOptions.FromJson(ramp.ToJson()).GuidanceAt(1750), 5);
        Assert.Equal(3f, ramp.GuidanceAt(2000));
        Assert.Throws<ArgumentException>(() => new DdpmTrainingOptions { GuidanceRampFromStep = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new DdpmTrainingOptions { LateGuidance = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new DdpmTrainingOptions { LateGuidanceFromStep = -1 }.Validate());

        var net = new UNet(Tiny, new Generator(3));
        var young = DiffusionPipeline.FromCheckpoint(new DdpmCheckpoint { Config = Tiny, Options = o, Step = 900, Model = net.StateDict(), Ema = net.StateDict(), Optimizer = new Dictionary<string, Tensor>(), Losses = Array.Empty<float>() });
        var old = DiffusionPipeline.FromCheckpoint(new DdpmCheckpoint { Config = Tiny, Options = o, Step = 2500, Model = net.StateDict(), Ema = net.StateDict(), Optimizer = new Dictionary<string, Tensor>(), Losses = Array.Empty<float>() });
        Assert.Equal(5f, young.DefaultGuidance);
        Assert.Equal(3f, old.DefaultGuidance);
    }
}
