using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NormOptim;

/// <summary>Optimizer trajectories, gradient clipping and scheduler learning rates against PyTorch.</summary>
public class OptimFixtureTests
{
    static readonly NormOptimFixture F = new("optim.safetensors");

    static Optimizer Make(string name, Tensor[] ps) => name switch
    {
        "sgd_plain" => new SGD(ps, lr: 0.1),
        "sgd_momentum" => new SGD(ps, lr: 0.1, momentum: 0.9),
        "sgd_dampening" => new SGD(ps, lr: 0.1, momentum: 0.9, dampening: 0.3),
        "sgd_nesterov" => new SGD(ps, lr: 0.1, momentum: 0.9, nesterov: true),
        "sgd_wd" => new SGD(ps, lr: 0.1, momentum: 0.9, weightDecay: 0.05),
        "adam" => new Adam(ps, lr: 0.01),
        "adam_wd" => new Adam(ps, lr: 0.01, weightDecay: 0.1),
        "adam_amsgrad" => new Adam(ps, lr: 0.01, betas: (0.8, 0.99), amsgrad: true),
        "adamw" => new AdamW(ps, lr: 0.01, weightDecay: 0.1),
        "adamw_amsgrad" => new AdamW(ps, lr: 0.02, amsgrad: true, eps: 1e-6),
        _ => throw new ArgumentException(name),
    };

    static void SetGrads(Tensor[] ps, int k)
    {
        for (int i = 0; i < ps.Length; i++)
        {
            var a = F.T($"a{i}").Data; var g = F.T($"g{k}.{i}").Data; var p = ps[i].Data;
            var gr = new float[p.Length];
            for (int j = 0; j < gr.Length; j++) gr[j] = a[j] * p[j] + g[j];
            ps[i].Grad = new Tensor(gr, ps[i].Shape);
        }
    }

    [Theory]
    [InlineData("sgd_plain"), InlineData("sgd_momentum"), InlineData("sgd_dampening"), InlineData("sgd_nesterov"), InlineData("sgd_wd")]
    [InlineData("adam"), InlineData("adam_wd"), InlineData("adam_amsgrad"), InlineData("adamw"), InlineData("adamw_amsgrad")]
    public void Trajectory(string name)
    {
        var ps = new[] { F.T("p0").RequireGrad(), F.T("p1").RequireGrad() };
        var opt = Make(name, ps);
        for (int k = 0; k < 5; k++)
        {
            SetGrads(ps, k);
            opt.Step();
            for (int i = 0; i < ps.Length; i++) F.Near($"{name}.step{k}.p{i}", ps[i], 1e-5, 1e-6);
        }
        if (name.StartsWith("adam"))
        {
            var sd = opt.StateDict();
            F.Near($"{name}.exp_avg0", sd["state.0.exp_avg"], 1e-5, 1e-7);
            F.Near($"{name}.exp_avg_sq0", sd["state.0.exp_avg_sq"], 1e-5, 1e-9);
        }
    }

    [Theory]
    [InlineData("sgd_nesterov"), InlineData("adam_amsgrad"), InlineData("adamw")]
    public void StateDict_ResumesExactly(string name)
    {
        // run 2 steps, checkpoint, run 3 more; a fresh optimizer loaded from the checkpoint must give identical parameters
        var ps = new[] { F.T("p0").RequireGrad(), F.T("p1").RequireGrad() };
        var opt = Make(name, ps);
        for (int k = 0; k < 2; k++) { SetGrads(ps, k); opt.Step(); }
        var ck = opt.StateDict();
        var saved = ps.Select(p => p.ToArray()).ToArray();
        for (int k = 2; k < 5; k++) { SetGrads(ps, k); opt.Step(); }
        var qs = saved.Select((v, i) => Tensor.FromArray(v, ps[i].Shape).RequireGrad()).ToArray();
        var opt2 = Make(name, qs);
        opt2.LoadStateDict(ck);
        Assert.Equal(2, opt2.StepCount);
        for (int k = 2; k < 5; k++) { SetGrads(qs, k); opt2.Step(); }
        for (int i = 0; i < ps.Length; i++) Assert.Equal(ps[i].ToArray(), qs[i].ToArray());
    }

    [Theory, InlineData("l2", 2.0), InlineData("inf", double.PositiveInfinity), InlineData("l1", 1.0), InlineData("noop", 2.0)]
    public void ClipGradNorm(string key, double normType)
    {
        int count = key == "noop" ? 1 : 2;
        var ps = Enumerable.Range(0, count).Select(i => F.T($"p{i}").RequireGrad()).ToArray();
        for (int i = 0; i < count; i++)
        {
            var g = F.T($"g0.{i}");
            ps[i].Grad = g * (key == "noop" ? 0.1f : 3f);
        }
        double total = GradClip.ClipGradNorm(ps, key == "noop" ? 5.0 : 1.0, normType);
        Assert.Equal(F.Doubles($"clip_{key}.total")[0], total, 1e-5 * Math.Max(1, total));
        for (int i = 0; i < count; i++) F.Near($"clip_{key}.g{i}", ps[i].Grad!, 1e-5, 1e-7);
    }

    static (Optimizer opt, Tensor p) SchedOpt(bool adam)
    {
        var p = Tensor.Zeros(2).RequireGrad();
        Optimizer o = adam ? new Adam(new[] { p }, lr: 0.1) : new SGD(new[] { p }, lr: 0.1, momentum: 0.9);
        return (o, p);
    }

    static void CheckSchedule(string name, Func<Optimizer, Action<int>> make, bool adam = false, bool checkMomentum = false)
    {
        var (opt, p) = SchedOpt(adam);
        var step = make(opt);
        var lr = F.Doubles($"sched.{name}.lr"); var mom = F.Doubles($"sched.{name}.momentum");
        for (int t = 0; t <= 30; t++)
        {
            if (t > 0) { p.Grad = Tensor.Ones(2); opt.Step(); step(t - 1); }
            Assert.True(Math.Abs(lr[t] - opt.LearningRate) <= 1e-9 + 1e-7 * Math.Abs(lr[t]), $"{name} t={t}: lr {opt.LearningRate:R}, PyTorch {lr[t]:R}");
            if (checkMomentum)
                Assert.True(Math.Abs(mom[t] - opt.ParamGroups[0].Momentum!.Value) <= 1e-9, $"{name} t={t}: momentum {opt.ParamGroups[0].Momentum}, PyTorch {mom[t]}");
        }
    }

    static Func<Optimizer, Action<int>> S(Func<Optimizer, LRScheduler> f) => o => { var s = f(o); return _ => s.Step(); };

    [Fact] public void ConstantLR() => CheckSchedule("constant", S(o => new ConstantLR(o, 0.5, 4)));
    [Fact] public void LinearLR() => CheckSchedule("linear", S(o => new LinearLR(o, 0.25, 1.0, 8)));
    [Fact] public void StepLR() => CheckSchedule("step", S(o => new StepLR(o, 7, 0.5)));
    [Fact] public void MultiStepLR() => CheckSchedule("multistep", S(o => new MultiStepLR(o, new[] { 5, 12, 12, 20 }, 0.3)));
    [Fact] public void ExponentialLR() => CheckSchedule("exponential", S(o => new ExponentialLR(o, 0.9)));
    [Fact] public void CosineAnnealingLR_BeyondTMax() => CheckSchedule("cosine", S(o => new CosineAnnealingLR(o, 10, 0.001)));
    [Fact] public void WarmupCosine_AsSequentialLR() => CheckSchedule("warmup_cosine", S(o => new SequentialLR(o, new LRScheduler[] { new LinearLR(o, 0.01, 1.0, 5), new CosineAnnealingLR(o, 25, 1e-4) }, new[] { 5 })));
    [Fact] public void WarmupCosine_Dedicated() => CheckSchedule("warmup_cosine", S(o => new WarmupCosineLR(o, 5, 30, 0.01, 1e-4)));
    [Fact] public void OneCycle_SgdMomentum() => CheckSchedule("onecycle", S(o => new OneCycleLR(o, 1.0, 30)), checkMomentum: true);
    [Fact] public void OneCycle_AdamBeta1() => CheckSchedule("onecycle_adam", S(o => new OneCycleLR(o, 0.5, 30, pctStart: 0.25)), adam: true, checkMomentum: true);
    [Fact] public void OneCycle_LinearThreePhase() => CheckSchedule("onecycle_linear3", S(o => new OneCycleLR(o, 1.0, 30, annealStrategy: "linear", threePhase: true)), checkMomentum: true);

    [Fact]
    public void ReduceLROnPlateau_Min()
    {
        var m = F.Doubles("sched.metric");
        CheckSchedule("plateau", o => { var s = new ReduceLROnPlateau(o, "min", 0.5, 2, 0.1, "rel", 1, 0.004); return t => s.Step(m[t]); });
    }

    [Fact]
    public void ReduceLROnPlateau_MaxAbs()
    {
        var m = F.Doubles("sched.metric");
        CheckSchedule("plateau_max_abs", o => { var s = new ReduceLROnPlateau(o, "max", 0.3, 1, 0.05, "abs"); return t => s.Step(-m[t]); });
    }
}
