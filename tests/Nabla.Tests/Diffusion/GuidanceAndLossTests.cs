using Nabla.Diffusion;

namespace Nabla.Tests.Diffusion;

public class GuidanceAndLossTests
{
    [Fact]
    public void GuidanceCombinesConditionalAndUnconditionalPredictions()
    {
        // a fake model whose prediction is label + x, so ε(x, c) and ε(x, ∅) are known
        int calls = 0;
        NoisePredictor m = (x, t, labels) =>
        {
            calls++;
            var o = new float[x.Size];
            int per = x.Size / x.Dim(0);
            for (int i = 0; i < o.Length; i++) o[i] = labels!.Data[i / per] + x.Data[i];
            return new Tensor(o, x.Shape);
        };
        var guided = ClassifierFreeGuidance.Wrap(m, nullLabel: 10, scale: 2f);
        var x = Tensor.FromArray(new[] { 0.5f, -1f, 2f, 0f }, 2, 2);
        var eps = guided(x, Tensor.FromArray(new[] { 3f, 3f }), Tensor.FromArray(new[] { 7f, 1f }));
        Assert.Equal(1, calls);  // one batched call of 2B
        for (int i = 0; i < 4; i++)
        {
            float c = (i < 2 ? 7f : 1f) + x.Data[i], u = 10f + x.Data[i];
            Assert.Equal(3 * c - 2 * u, eps.Data[i], 5);
        }
        Assert.Same(m, ClassifierFreeGuidance.Wrap(m, 10, 0f));
        Assert.Throws<ArgumentException>(() => ClassifierFreeGuidance.Wrap(m, 10, -1f));
        Assert.Throws<ArgumentException>(() => ClassifierFreeGuidance.Wrap(m, 10, float.NaN));
        Assert.Throws<ArgumentException>(() => ClassifierFreeGuidance.Combine(Tensor.Zeros(2), Tensor.Zeros(3), 1f));
        Assert.Throws<ArgumentException>(() => guided(x, Tensor.Zeros(2), Tensor.Zeros(3)));
    }

    [Fact]
    public void LossIsTheMeanSquaredNoiseError()
    {
        var s = NoiseSchedule.Linear(1000);
        var x0 = Tensor.Randn(new Generator(1), 3, 1, 2, 2);
        var noise = Tensor.Randn(new Generator(2), 3, 1, 2, 2);
        int[] t = { 5, 500, 995 };
        // a model that knows x_0 recovers ε exactly
        NoisePredictor exact = (xt, tt, _) => s.PredictEps(xt, t, x0);
        Assert.True(DdpmLoss.Compute(s, exact, x0, null, t, noise).Item() < 1e-6);
        // the zero model's loss is mean(ε²)
        NoisePredictor zero = (xt, tt, _) => Tensor.Zeros(xt.Shape);
        double m2 = noise.ToArray().Average(v => (double)v * v);
        Assert.Equal(m2, DdpmLoss.Compute(s, zero, x0, null, t, noise).Item(), 5);
    }

    [Fact]
    public void LossGradientFlowsToTheModel()
    {
        // ε_θ(x_t) = w·x_t: L = mean((w x_t − ε)²), ∂L/∂w = 2 mean((w x_t − ε) x_t)
        var s = NoiseSchedule.Linear(1000);
        var x0 = Tensor.Randn(new Generator(1), 4, 3); var noise = Tensor.Randn(new Generator(2), 4, 3);
        int[] t = { 0, 1, 2, 999 };
        var w = Tensor.Scalar(0.7f).RequireGrad();
        int seenT = 0;
        NoisePredictor lin = (xt, tt, _) => { seenT = (int)tt.Data[3]; return xt * w; };
        var loss = DdpmLoss.Compute(s, lin, x0, null, t, noise);
        loss.Backward();
        Assert.Equal(999, seenT);
        var xt = s.QSample(x0, t, noise).ToArray();
        double g = 0;
        for (int i = 0; i < 12; i++) g += 2 * (0.7 * xt[i] - noise.Data[i]) * xt[i] / 12;
        Assert.Equal(g, w.Grad!.Item(), 4);
    }

    [Fact]
    public void RandomLossDrawsTimestepsThenNoiseFromTheGenerator()
    {
        var s = NoiseSchedule.Linear(50);
        var x0 = Tensor.Zeros(6, 2);
        int[]? seen = null;
        NoisePredictor m = (xt, tt, _) => { seen = tt.ToArray().Select(v => (int)v).ToArray(); return Tensor.Zeros(xt.Shape); };
        var gen = new Generator(11);
        var loss = DdpmLoss.Compute(s, m, x0, null, gen);
        var expectT = new int[6]; var g2 = new Generator(11); g2.FillInt(expectT, 0, 50);
        var noise = Tensor.Randn(g2, 6, 2);
        Assert.Equal(expectT, seen);
        Assert.Equal(g2.Offset, gen.Offset);
        Assert.Equal(noise.ToArray().Average(v => (double)v * v), loss.Item(), 5);
        Assert.Throws<ArgumentException>(() => DdpmLoss.Compute(s, m, x0, Tensor.Zeros(5), gen));
        Assert.Throws<ArgumentException>(() => DdpmLoss.Compute(s, (xt, tt, _) => Tensor.Zeros(6, 3), x0, null, gen));
        Assert.Throws<ArgumentException>(() => DdpmLoss.Compute(s, m, Tensor.Zeros(6), null, gen));
    }
}
