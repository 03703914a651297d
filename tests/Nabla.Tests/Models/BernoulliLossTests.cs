using Nabla.Models;
using Nabla.NN;

namespace Nabla.Tests.Models;

public class BernoulliLossTests
{
    [Fact]
    public void EqualsBceWithLogitsSummedPerSample()
    {
        var f = Tensor.Randn(new Generator(1), 5, 300) * 4f;
        var x = Tensor.Rand(new Generator(2), 5, 300);
        x.Data[0] = 0; x.Data[1] = 1;
        f.Data[2] = 80; f.Data[3] = -80;   // saturated logits stay finite
        float expected = (Functional.BinaryCrossEntropyWithLogits(f, x, Reduction.Sum) / 5f).Item();
        float actual = BernoulliLoss.SumPerSample(f, x).Item();
        Assert.Equal(expected, actual, 1e-5 * Math.Abs(expected));
    }

    [Fact]
    public void GradientIsSigmoidMinusTargetOverN()
    {
        var f = Tensor.Randn(new Generator(3), 3, 7);
        var x = Tensor.Rand(new Generator(4), 3, 7);
        var r = GradCheck.Check(t => BernoulliLoss.SumPerSample(t[0], x), new[] { f });
        Assert.True(r.Ok, r.ToString());
        f.ZeroGrad();
        (BernoulliLoss.SumPerSample(f, x) * 2f).Backward();
        for (int i = 0; i < 21; i++)
            Assert.Equal(2f * (1f / (1f + MathF.Exp(-f.Data[i])) - x.Data[i]) / 3f, f.Grad!.Data[i], 1e-6);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        Assert.Contains("[2, 4]", Assert.Throws<ArgumentException>(() => BernoulliLoss.SumPerSample(Tensor.Zeros(2, 3), Tensor.Zeros(2, 4))).Message);
        Assert.Throws<ArgumentException>(() => BernoulliLoss.SumPerSample(Tensor.Zeros(0, 3), Tensor.Zeros(0, 3)));
        var t = Tensor.Zeros(2, 3); t.RequiresGrad = true;
        Assert.Throws<ArgumentException>(() => BernoulliLoss.SumPerSample(Tensor.Zeros(2, 3), t));
    }
}
