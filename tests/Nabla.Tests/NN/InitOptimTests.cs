using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NormOptim;

/// <summary>Initializers (gains, fans, distributions) and argument errors of the optimizers and schedulers.</summary>
public class InitOptimTests
{
    [Fact]
    public void GainsAndFansMatchPyTorch()
    {
        Assert.Equal(1.0, Init.CalculateGain("linear"));
        Assert.Equal(1.0, Init.CalculateGain("sigmoid"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"), 15);
        Assert.Equal(1.4142135623730951, Init.CalculateGain("relu"), 15);
        Assert.Equal(1.4141428569978354, Init.CalculateGain("leaky_relu"), 15);
        Assert.Equal(1.3867504905630728, Init.CalculateGain("leaky_relu", 0.2), 15);
        Assert.Equal(0.75, Init.CalculateGain("selu"));
        Assert.Equal((75, 200), Init.CalculateFanInAndFanOut(Tensor.Zeros(8, 3, 5, 5)));
        Assert.Equal((4, 6), Init.CalculateFanInAndFanOut(Tensor.Zeros(6, 4)));
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
        Assert.Throws<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(5)));
    }

    static (double mean, double std, double min, double max) Stats(Tensor t)
    {
        var d = t.ToArray();
        double m = d.Average(v => (double)v);
        double s = Math.Sqrt(d.Average(v => (v - m) * (v - m)));
        return (m, s, d.Min(), d.Max());
    }

    [Fact]
    public void DistributionsHaveTheRightScale()
    {
        var g = new Generator(11);
        // kaiming_uniform(a=0, relu): bound = √2·√(3/fan_in), fan_in = 64·9
        var w = Init.KaimingUniform(Tensor.Zeros(64, 64, 3, 3), 0, FanMode.FanIn, "relu", g);
        double bound = Math.Sqrt(2) * Math.Sqrt(3.0 / 576);
        var (m, s, lo, hi) = Stats(w);
        Assert.True(lo >= -bound && hi < bound);
        Assert.Equal(bound / Math.Sqrt(3), s, 2e-3);
        var kn = Stats(Init.KaimingNormal(Tensor.Zeros(256, 128), 0, FanMode.FanOut, "relu", g));
        Assert.Equal(Math.Sqrt(2.0 / 256), kn.std, 1e-3);
        var xu = Stats(Init.XavierUniform(Tensor.Zeros(200, 100), 1, g));
        Assert.Equal(Math.Sqrt(6.0 / 300) / Math.Sqrt(3), xu.std, 1e-3);
        var xn = Stats(Init.XavierNormal(Tensor.Zeros(200, 100), 2, g));
        Assert.Equal(2 * Math.Sqrt(2.0 / 300), xn.std, 2e-3);
        var tn = Stats(Init.TruncNormal(Tensor.Zeros(5000), 0, 1, -1, 1.5f, g));
        Assert.True(tn.min >= -1 && tn.max <= 1.5);
        Assert.All(Init.Constant(Tensor.Zeros(3), 2.5f).ToArray(), v => Assert.Equal(2.5f, v));
        Assert.All(Init.Ones(Tensor.Zeros(3)).ToArray(), v => Assert.Equal(1f, v));
        // same generator seed → same values
        Assert.Equal(Init.Normal(Tensor.Zeros(10), 0, 1, new Generator(3)).ToArray(), Init.Normal(Tensor.Zeros(10), 0, 1, new Generator(3)).ToArray());
        // PyTorch's Linear default: kaiming_uniform(a=√5) = U(±1/√fan_in)
        var lw = Tensor.Zeros(30, 400); var lb = Tensor.Zeros(30);
        Init.DefaultLayerInit(lw, lb, g);
        Assert.True(lw.ToArray().All(v => Math.Abs(v) <= 0.05f) && lb.ToArray().All(v => Math.Abs(v) <= 0.05f));
        Assert.True(lw.ToArray().Max() > 0.045f);
        Assert.Throws<ArgumentException>(() => Init.Uniform(Tensor.Zeros(2), 1, 0));
        Assert.Throws<ArgumentException>(() => Init.Normal(Tensor.Zeros(2), 0, -1));
    }

    [Fact]
    public void OptimizerBasics()
    {
        var p = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        var q = Tensor.FromArray(new[] { 3f }).RequireGrad();
        var opt = new SGD(new[] { new ParameterGroup(new[] { p }), new ParameterGroup(new[] { q }) { LearningRate = 0.5 } }, lr: 0.1);
        Assert.Equal(0.1, opt.ParamGroups[0].LearningRate);
        Assert.Equal(0.5, opt.ParamGroups[1].LearningRate);
        p.Grad = Tensor.FromArray(new[] { 1f, 1f }); q.Grad = Tensor.FromArray(new[] { 1f });
        opt.Step();
        Assert.Equal(new[] { 0.9f, 1.9f }, p.ToArray());
        Assert.Equal(new[] { 2.5f }, q.ToArray());
        Assert.False(p.GradFn != null);
        opt.ZeroGrad();
        Assert.Null(p.Grad);
        opt.Step(); // parameters without gradients are skipped
        Assert.Equal(new[] { 0.9f, 1.9f }, p.ToArray());
        opt.LearningRate = 0.01;
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.01, g.LearningRate));
        Assert.Equal(2, opt.StepCount);
    }

    [Fact]
    public void OptimizerAndSchedulerErrors()
    {
        var p = Tensor.Zeros(2).RequireGrad();
        Assert.Throws<ArgumentException>(() => new SGD(Array.Empty<Tensor>()));
        Assert.Throws<ArgumentException>(() => new SGD(new[] { p }, lr: -1));
        Assert.Throws<ArgumentException>(() => new SGD(new[] { p }, nesterov: true));
        Assert.Throws<ArgumentException>(() => new SGD(new[] { p, p }));
        Assert.Throws<ArgumentException>(() => new Adam(new[] { p }, betas: (1.0, 0.999)));
        Assert.Throws<ArgumentException>(() => new AdamW(new[] { p }, eps: -1));
        var opt = new Adam(new[] { p });
        Assert.Throws<InvalidDataException>(() => opt.LoadStateDict(new Dictionary<string, Tensor> { ["state.5.exp_avg"] = Tensor.Zeros(2) }));
        Assert.Throws<InvalidDataException>(() => opt.LoadStateDict(new Dictionary<string, Tensor> { ["state.0.exp_avg"] = Tensor.Zeros(3) }));
        Assert.Throws<InvalidDataException>(() => opt.LoadStateDict(new Dictionary<string, Tensor> { ["bogus"] = Tensor.Zeros(1) }));
        Assert.Throws<ArgumentException>(() => new StepLR(opt, 0));
        Assert.Throws<ArgumentException>(() => new CosineAnnealingLR(opt, 0));
        Assert.Throws<ArgumentException>(() => new LinearLR(opt, 0));
        Assert.Throws<ArgumentException>(() => new ConstantLR(opt, 2));
        Assert.Throws<ArgumentException>(() => new WarmupCosineLR(opt, 10, 5));
        Assert.Throws<ArgumentException>(() => new OneCycleLR(opt, 1.0, 10, annealStrategy: "cubic"));
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(opt, "median"));
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(opt, factor: 1.0));
        Assert.Throws<ArgumentException>(() => new SequentialLR(opt, new LRScheduler[] { new FixedLR(opt) }, new[] { 3 }));
        var oc = new OneCycleLR(new SGD(new[] { Tensor.Zeros(1).RequireGrad() }, lr: 0.1), 1.0, 3);
        for (int i = 0; i < 3; i++) oc.Step();
        Assert.Throws<InvalidOperationException>(() => oc.Step());
        Assert.Throws<ArgumentException>(() => GradClip.ClipGradNorm(new[] { p }, 1, 0));
    }

    [Fact]
    public void SchedulerStateDictResumes()
    {
        var p = Tensor.Zeros(1).RequireGrad();
        var opt = new SGD(new[] { p }, lr: 1);
        var s = new CosineAnnealingLR(opt, 10);
        for (int i = 0; i < 4; i++) s.Step();
        var st = s.StateDict();
        double lr = opt.LearningRate;
        var opt2 = new SGD(new[] { Tensor.Zeros(1).RequireGrad() }, lr: 1);
        var s2 = new CosineAnnealingLR(opt2, 10);
        s2.LoadStateDict(st);
        Assert.Equal(lr, opt2.LearningRate);
        Assert.Equal(4, s2.LastEpoch);
    }
}
