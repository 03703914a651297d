using Nabla.Kernels;
using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// Gradient checks (Richardson central differences, tolerance <see cref="GradCheck.DefaultTolerance"/>) at sizes that
/// take the paths small checks never reach: GEMMs with m·n·k ≥ <see cref="ParallelThresholds.GemmWork"/> = 96³ (threaded),
/// convolutions costing ≥ 2·10⁶ flops on ≥ 16 images (split over workers, several chunks per worker, ∂W summed in
/// chunk slots), Linear accumulating into an existing gradient (β = 1), and Dropout with a fixed mask.
/// Large inputs are checked at a seeded sample of their elements.
/// </summary>
public class FullSizeGradTests
{
    static Tensor R(ulong seed, params int[] shape) => Tensor.Randn(new Generator(seed), shape);

    static void Ok(Func<Tensor[], Tensor> f, int maxElements, params Tensor[] inputs)
    {
        var r = GradCheck.Check(f, inputs, maxElementsPerInput: maxElements);
        Assert.True(r.Ok, r.ToString());
    }

    [Fact]
    public void ThreadedMatMul()
    {
        Assert.True(100L * 96 * 100 >= ParallelThresholds.GemmWork);
        Ok(t => t[0] % t[1], 40, R(1, 100, 96), R(2, 96, 100));
        Ok(t => t[0].T % t[1], 40, R(3, 96, 100), R(4, 96, 100));   // transposed A in the forward, both orders backward
    }

    [Fact]
    public void ThreadedLinear()
    {
        // x [128, 96], W [80, 96]: forward, ∂x and ∂W are each a 128·80·96 ≥ 96³ product
        Assert.True(128L * 80 * 96 >= ParallelThresholds.GemmWork);
        Ok(t => Functional.Linear(t[0], t[1], t[2]), 40, R(5, 128, 96), R(6, 80, 96) * 0.1f, R(7, 80));
        Ok(t => Functional.Linear(t[0], t[1]), 40, R(8, 2, 64, 96), R(9, 80, 96) * 0.1f);   // batched leading dimensions, no bias
    }

    [Fact]
    public void LinearAccumulatesIntoAnExistingGradient()
    {
        // W used twice: the second rule adds into the gradient the first one wrote (β = 1)
        var w = (R(10, 80, 96) * 0.1f).Detach();
        Tensor F(Tensor[] t) => Functional.Linear(t[0], t[1], t[2]) + Functional.Linear(t[3], t[1]) * 0.5f;
        var inputs = new[] { R(11, 128, 96), w, R(12, 80), R(13, 128, 96) };
        // a first backward leaves stale values in the storage ZeroGrad keeps for reuse: β = 0 must overwrite them
        foreach (var x in inputs) x.RequiresGrad = true;
        (F(inputs) * 3f).Sum().Backward();
        Ok(F, 40, inputs);

        // an explicit existing gradient G0: backward adds G1 to it exactly as G0 + G1
        var x1 = R(14, 128, 96); var b = R(15, 80).Detach();
        w.ZeroGrad(); b.RequiresGrad = true;
        Functional.Linear(x1, w, b).Sum().Backward();
        var g0 = w.Grad!.ToArray();
        var x2 = R(16, 128, 96);
        var gy = R(17, 128, 80);
        w.ZeroGrad();
        (Functional.Linear(x2, w) * gy).Sum().Backward();
        var g1 = w.Grad!.ToArray();
        w.ZeroGrad();
        Functional.Linear(x1, w, b).Sum().Backward();
        (Functional.Linear(x2, w) * gy).Sum().Backward();   // no ZeroGrad: accumulates
        var both = w.Grad!.Data;
        for (int i = 0; i < both.Length; i++)
            Assert.True(Math.Abs(both[i] - (g0[i] + g1[i])) <= 1e-5f * (1 + Math.Abs(g0[i] + g1[i])), $"∂W[{i}]: {both[i]} vs {g0[i]} + {g1[i]}");
    }

    /// <summary>16 images and ≥ 2·10⁶ flops: split over every worker, with several chunks per worker slot.</summary>
    [Theory]
    [InlineData(false, 3, 1, 1)]   // stride 1: implicit GEMM forward and ∂x, im2col ∂W in slots
    [InlineData(false, 3, 2, 1)]   // stride 2: im2col chunks forward, col2im ∂x
    [InlineData(true, 4, 2, 1)]    // transposed
    public void MultiWorkerConvolution(bool transposed, int k, int stride, int padding)
    {
        int n = 16, cin = 4, cout = 8, hw = 16 * stride;
        double flops = transposed ? 2.0 * n * cin * cout * k * k * hw * hw : 2.0 * n * cout * cin * k * k * (hw / stride) * (hw / stride);
        Assert.True(flops >= 2e6, $"{flops} flops");
        var x = R(20, n, cin, hw, hw);
        var w = (transposed ? R(21, cin, cout, k, k) : R(21, cout, cin, k, k)) * 0.3f;
        var b = R(22, cout);
        Ok(t => transposed ? Functional.ConvTranspose2d(t[0], t[1], t[2], stride, padding) : Functional.Conv2d(t[0], t[1], t[2], stride, padding),
            48, x, w.Detach(), b);
    }

    [Fact]
    public void DropoutWithAFixedMask()
    {
        // a fresh generator per call: every evaluation draws the same mask
        var x = R(30, 4, 50);
        Ok(t => Functional.Dropout(t[0], 0.3f, training: true, gen: new Generator(31)), int.MaxValue, x);
        var y = Functional.Dropout(x.Detach(), 0.3f, training: true, gen: new Generator(31)).ToArray();
        int zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 30, 90);   // ≈ 60 of 200 dropped: the check covered both kept and dropped elements
    }
}
