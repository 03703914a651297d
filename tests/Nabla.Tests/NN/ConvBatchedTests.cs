using Nabla;
using Nabla.NN;
using Xunit;

namespace Nabla.Tests;

/// <summary>
/// The chunked, multi-core convolution path (batches big enough to be split over cores and into several chunks)
/// against the same convolution run one image at a time (a single image always runs serially in one chunk).
/// Sizes are chosen so that the batch costs over 2·10⁶ flops (the threshold for splitting over cores).
/// </summary>
public class ConvBatchedTests
{
    /// <summary>Relative tolerance: the two paths add the same float32 products in different orders (chunked GEMMs,
    /// ∂W over 10 images in slots vs one at a time), a few ulps apart. A reduction's rounding error scales with the
    /// sum of its terms' magnitudes, not with its (possibly cancelled) result, so ∂W and ∂b — sums over every output
    /// position of the batch — are held to the tolerance relative to the largest entry of their tensor.</summary>
    const float Tol = 1e-5f;

    [Theory]
    [InlineData(false, 3, 1, 1)]
    [InlineData(false, 3, 2, 1)]
    [InlineData(false, 1, 1, 0)]
    [InlineData(true, 4, 2, 1)]
    public void BatchMatchesPerImage(bool transposed, int k, int stride, int padding)
    {
        var gen = new Generator(7);
        int n = 10, cin = 12, cout = 8, hw = 24;
        var x = Tensor.Randn(gen, n, cin, hw, hw); x.RequiresGrad = true;
        var w = (transposed ? Tensor.Randn(gen, cin, cout, k, k) : Tensor.Randn(gen, cout, cin, k, k)) * 0.2f; w = w.Detach(); w.RequiresGrad = true;
        var b = Tensor.Randn(gen, cout).Detach(); b.RequiresGrad = true;
        static void Near(float expected, float actual, string what, float scale = 0) =>
            Assert.True(Math.Abs(expected - actual) <= Tol * (1 + Math.Max(scale, Math.Abs(expected))), $"{what}: batched {actual} vs per image {expected}");
        Tensor Op(Tensor xi) => transposed ? Functional.ConvTranspose2d(xi, w, b, stride, padding) : Functional.Conv2d(xi, w, b, stride, padding);

        var y = Op(x);
        var gy = Tensor.Randn(gen, y.Shape);
        (y * gy).Sum().Backward();
        var gx = x.Grad!.ToArray(); var gw = w.Grad!.ToArray(); var gb = b.Grad!.ToArray();
        w.Grad = null; b.Grad = null;

        var gxRef = new List<float>();
        int per = y.Size / n;
        for (int i = 0; i < n; i++)
        {
            var xi = x.Detach().Slice(0, i, i + 1).Detach(); xi.RequiresGrad = true;
            var yi = Op(xi);
            var ya = yi.ToArray(); var yAll = y.ToArray();
            for (int j = 0; j < per; j++) Near(ya[j], yAll[i * per + j], "y");
            (yi * gy.Slice(0, i, i + 1)).Sum().Backward();
            gxRef.AddRange(xi.Grad!.ToArray());
        }
        for (int j = 0; j < gx.Length; j++) Near(gxRef[j], gx[j], "∂x");
        var gwRef = w.Grad!.ToArray(); var gbRef = b.Grad!.ToArray();
        float wScale = gwRef.Max(Math.Abs), bScale = gbRef.Max(Math.Abs);
        for (int j = 0; j < gw.Length; j++) Near(gwRef[j], gw[j], "∂W", wScale);
        for (int j = 0; j < gb.Length; j++) Near(gbRef[j], gb[j], "∂b", bScale);
    }
}
