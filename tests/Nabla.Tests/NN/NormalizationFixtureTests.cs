using Nabla.NN;

namespace Nabla.Tests.NormOptim;

/// <summary>Normalization layers against PyTorch: outputs, input and parameter gradients, running statistics per step.</summary>
public class NormalizationFixtureTests
{
    static readonly NormOptimFixture F = new("norm_losses.safetensors");

    static void RunCase(string name, Module m, Func<Tensor, Tensor>? forward = null, params string[] modes)
    {
        if (modes.Length == 0) modes = new[] { "train", "train", "eval" };
        forward ??= m.Forward;
        using (Tensor.NoGrad())
            foreach (var (pn, p) in m.NamedParameters())
                F.T($"{name}.{pn}").Data.CopyTo(p.Data);
        for (int k = 0; k < modes.Length; k++)
        {
            m.Train(modes[k] == "train");
            m.ZeroGrad();
            var x = F.T($"{name}.x{k}").RequireGrad();
            var y = forward(x);
            F.Near($"{name}.y{k}", y, 1e-4, 2e-5);
            y.Backward(F.T($"{name}.gy{k}"));
            F.Near($"{name}.gx{k}", x.Grad!, 1e-4, 5e-5);
            foreach (var (pn, p) in m.NamedParameters())
                F.Near($"{name}.g{pn}{k}", p.Grad!, 1e-4, 5e-5);
            foreach (var (bn, b) in m.NamedBuffers())
                F.Near($"{name}.{bn}{k}", b, 1e-5, 1e-6);
        }
    }

    [Fact] public void BatchNorm1d_2D() => RunCase("bn1d_2d", new BatchNorm1d(4));
    [Fact] public void BatchNorm1d_3D() => RunCase("bn1d_3d", new BatchNorm1d(3));
    [Fact] public void BatchNorm2d() => RunCase("bn2d", new BatchNorm2d(3));
    [Fact] public void BatchNorm2d_NoAffine() => RunCase("bn2d_noaffine", new BatchNorm2d(3, affine: false));
    [Fact] public void BatchNorm2d_CumulativeMomentum() => RunCase("bn2d_cumulative", new BatchNorm2d(3, momentum: null));
    [Fact] public void BatchNorm2d_NoRunningStats() => RunCase("bn2d_notrack", new BatchNorm2d(3, trackRunningStats: false));
    [Fact] public void BatchNorm2d_LargeOffsetVectorPath() => RunCase("bn2d_big", new BatchNorm2d(5, momentum: 0.3f));
    [Fact] public void InstanceNorm2d_Default() => RunCase("in2d", new InstanceNorm2d(3));
    [Fact] public void InstanceNorm2d_AffineTracked() => RunCase("in2d_affine_track", new InstanceNorm2d(3, affine: true, trackRunningStats: true));
    [Fact] public void LayerNorm_Last() => RunCase("ln_last", new LayerNorm(6), null, "train");
    [Fact] public void LayerNorm_TwoDims() => RunCase("ln_two", new LayerNorm(new[] { 5, 6 }), null, "train");
    [Fact] public void LayerNorm_NoAffine() => RunCase("ln_noaffine", new LayerNorm(6, elementwiseAffine: false), null, "train");
    [Fact] public void LayerNorm_Wide() => RunCase("ln_wide", new LayerNorm(37), null, "train");
    [Fact] public void GroupNorm() => RunCase("gn", new GroupNorm(4, 8), null, "train");
    [Fact] public void GroupNorm_NoAffine() => RunCase("gn_noaffine", new GroupNorm(2, 6, affine: false), null, "train");
    [Fact] public void GroupNorm_Big() => RunCase("gn_big", new GroupNorm(8, 16), null, "train");

    [Fact]
    public void GroupNormSilu_MatchesSiluOfGroupNorm()
    {
        var gn = new GroupNorm(8, 32);
        RunCase("gnsilu", gn, gn.ForwardSilu, "train");
    }

    [Fact]
    public void BatchNorm_StateDictNamesAndIntegerBuffer()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }, bn.StateDict().Keys);
        Assert.Contains("num_batches_tracked", bn.IntegerStateNames());
        Assert.Equal(new[] { "weight", "bias" }, new LayerNorm(4).StateDict().Keys);
        Assert.Empty(new InstanceNorm2d(3).StateDict());
    }
}
