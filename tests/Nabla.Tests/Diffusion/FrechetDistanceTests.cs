using Nabla.Diffusion;

namespace Nabla.Tests.Diffusion;

public class FrechetDistanceTests
{
    static Tensor Feat(int n, int d, double s, double shift, double[]? scale = null)
    {
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                x[i * d + j] = (float)((float)(Math.Sin(i * 1.3 * s + j * 0.7) + 0.5 * Math.Cos(i * i * 0.01 * s + j) + 0.1 * j + shift * j * j) * (scale?[j] ?? 1));
        return new Tensor(x, n, d);
    }

    [Fact]
    public void MatchesScipySqrtmFormula()
    {
        // numpy/scipy: ‖μ₁−μ₂‖² + Tr(Σ₁ + Σ₂ − 2·sqrtm(Σ₁Σ₂)) with np.cov (N − 1) on the same features
        var a = Feat(50, 4, 1.0, 0.0); var b = Feat(40, 4, 1.7, 0.3, new[] { 1, 2, 0.5, 1.5 });
        Assert.Equal(18.762560732624816, FrechetDistance.Compute(a, b), 4);
    }

    [Fact]
    public void OneDimensionalAndIdenticalCases()
    {
        // 1-D: (μ₁ − μ₂)² + (σ₁ − σ₂)²
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 4, 1); var b = Tensor.FromArray(new[] { 0f, 4f, 8f }, 3, 1);
        double s1 = Math.Sqrt(5.0 / 3), s2 = 4;
        Assert.Equal(Math.Pow(2.5 - 4, 2) + Math.Pow(s1 - s2, 2), FrechetDistance.Compute(a, b), 9);
        var c = Feat(30, 5, 1.0, 0.2);
        Assert.True(FrechetDistance.Compute(c, c) < 1e-8);
        // singular covariances (fewer samples than dimensions) stay finite and non-negative
        var d = FrechetDistance.Compute(Feat(3, 6, 1, 0), Feat(4, 6, 2, 0.1));
        Assert.True(double.IsFinite(d) && d >= 0);
    }

    [Fact]
    public void ArgumentErrors()
    {
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(Tensor.Zeros(5, 3), Tensor.Zeros(5, 4)));
        Assert.Throws<ArgumentException>(() => FrechetDistance.Statistics(Tensor.Zeros(1, 3)));
        Assert.Throws<ArgumentException>(() => FrechetDistance.Statistics(Tensor.Zeros(6)));
    }
}
