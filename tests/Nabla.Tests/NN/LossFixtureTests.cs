using Nabla.NN;

namespace Nabla.Tests.NormOptim;

/// <summary>Losses against PyTorch: value and gradients of every input, for every reduction.</summary>
public class LossFixtureTests
{
    static readonly NormOptimFixture F = new("norm_losses.safetensors");

    static Reduction R(string r) => r switch { "mean" => Reduction.Mean, "sum" => Reduction.Sum, "none" => Reduction.None, _ => Reduction.HalfSum };

    static void Check(string name, Func<Dictionary<string, Tensor>, Tensor> loss, params string[] names)
    {
        var t = names.ToDictionary(n => n, n => F.T($"{name}.{n}"));
        foreach (var n in names) if (F.Has($"{name}.g{n}")) t[n].RequiresGrad = true;
        var y = loss(t);
        F.Near($"{name}.loss", y, 1e-5, 1e-6);
        y.Backward(y.Size == 1 && y.Rank == 0 ? Tensor.Scalar(F.T($"{name}.gy").Data[0]) : F.T($"{name}.gy"));
        foreach (var n in names)
            if (F.Has($"{name}.g{n}")) F.Near($"{name}.g{n}", t[n].Grad!, 1e-5, 1e-6);
    }

    [Theory, InlineData("mean"), InlineData("sum"), InlineData("none"), InlineData("halfsum")]
    public void Mse(string r) => Check($"mse_{r}", t => Functional.MseLoss(t["input"], t["target"], R(r)), "input", "target");

    [Theory, InlineData("mean"), InlineData("sum"), InlineData("none")]
    public void CrossEntropy(string r) => Check($"ce_{r}", t => Functional.CrossEntropy(t["input"], t["target"], R(r)), "input", "target");

    [Fact] public void CrossEntropy_IgnoreIndex() => Check("ce_ignore", t => Functional.CrossEntropy(t["input"], t["target"], ignoreIndex: 2), "input", "target");
    [Fact] public void CrossEntropy_LabelSmoothing() => Check("ce_smooth", t => Functional.CrossEntropy(t["input"], t["target"], labelSmoothing: 0.1f), "input", "target");
    [Fact] public void CrossEntropy_SmoothIgnoreSum() => Check("ce_smooth_ignore_sum", t => Functional.CrossEntropy(t["input"], t["target"], Reduction.Sum, 2, 0.2f), "input", "target");
    [Fact] public void CrossEntropy_SmoothIgnoreNone() => Check("ce_smooth_ignore_none", t => Functional.CrossEntropy(t["input"], t["target"], Reduction.None, 2, 0.2f), "input", "target");
    [Fact] public void CrossEntropy_Spatial() => Check("ce_spatial", t => Functional.CrossEntropy(t["input"], t["target"]), "input", "target");
    [Fact] public void CrossEntropy_HugeLogitsStayFinite() => Check("ce_big_logits", t => Functional.CrossEntropy(t["input"], t["target"]), "input", "target");

    [Theory, InlineData("mean"), InlineData("sum"), InlineData("none")]
    public void BinaryCrossEntropy(string r) => Check($"bce_{r}", t => Functional.BinaryCrossEntropy(t["input"], t["target"], R(r)), "input", "target");

    [Theory, InlineData("mean"), InlineData("sum"), InlineData("none")]
    public void BinaryCrossEntropyWithLogits(string r) => Check($"bcelogits_{r}", t => Functional.BinaryCrossEntropyWithLogits(t["input"], t["target"], R(r)), "input", "target");

    [Theory, InlineData("mean"), InlineData("sum"), InlineData("none")]
    public void GaussianKl(string r) => Check($"kl_{r}", t => Functional.GaussianKlDivergence(t["mu"], t["logvar"], R(r)), "mu", "logvar");

    [Fact] public void GaussianKl_MatchesVaeForm() => Check("kl_vae", t => Functional.GaussianKlDivergence(t["mu"], t["logvar"]), "mu", "logvar");

    [Theory, InlineData("mean"), InlineData("sum"), InlineData("none")]
    public void GaussianNll(string r) => Check($"gnll_{r}", t => Functional.GaussianNllLoss(t["input"], t["target"], t["var"], reduction: R(r)), "input", "target", "var");

    [Fact] public void GaussianNll_Full() => Check("gnll_full", t => Functional.GaussianNllLoss(t["input"], t["target"], t["var"], full: true, eps: 1e-3f), "input", "target", "var");
    [Fact] public void GaussianNll_VarPerRow() => Check("gnll_row", t => Functional.GaussianNllLoss(t["input"], t["target"], t["var"]), "input", "target", "var");
    [Fact] public void GaussianNll_VarPerRowKeepDim() => Check("gnll_row1", t => Functional.GaussianNllLoss(t["input"], t["target"], t["var"], reduction: Reduction.Sum), "input", "target", "var");

    [Fact]
    public void Modules_MatchFunctional()
    {
        var x = F.T("ce_mean.input"); var y = F.T("ce_mean.target");
        Assert.Equal(Functional.CrossEntropy(x, y).Item(), new CrossEntropyLoss().Forward(x, y).Item());
        var a = F.T("mse_sum.input"); var b = F.T("mse_sum.target");
        Assert.Equal(Functional.MseLoss(a, b, Reduction.Sum).Item(), new MSELoss(Reduction.Sum).Forward(a, b).Item());
    }
}
