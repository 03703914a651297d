using System.Text.Json;
using Nabla.Kernels;
using Nabla.TimeSeries;
using static Nabla.Tests.Probabilistic.GaussianMixtureTests;

namespace Nabla.Tests.TimeSeries;

/// <summary>AutoRegression against statsmodels AutoReg / ar_select_order fixtures (tests/fixtures/gen/probabilistic.py).</summary>
public class AutoRegressionTests
{
    static readonly Lazy<JsonElement> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "probabilistic", "ar.json"))).RootElement);

    static double[] Series => Arr(Fixture.Value.GetProperty("series"));

    public static IEnumerable<object[]> Fits() => Enumerable.Range(0, 4).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Fits))]
    public void OlsMatchesStatsmodelsAutoReg(int index)
    {
        var f = Fixture.Value.GetProperty("fits")[index];
        int p = f.GetProperty("order").GetInt32();
        var ar = AutoRegression.Fit(Series, p);
        string tag = $"AR({p})";
        AssertClose(Arr(f.GetProperty("params")), ar.Params, 1e-9, tag + " params");
        Assert.Equal(f.GetProperty("nobs").GetInt32(), ar.Nobs);
        AssertClose(new[] { f.GetProperty("sigma2").GetDouble() }, new[] { ar.Sigma2 }, 1e-9, tag + " sigma2");
        AssertClose(new[] { f.GetProperty("llf").GetDouble() }, new[] { ar.LogLikelihood }, 1e-9, tag + " llf");
        AssertClose(new[] { f.GetProperty("aic").GetDouble() }, new[] { ar.Aic }, 1e-9, tag + " aic");
        AssertClose(new[] { f.GetProperty("bic").GetDouble() }, new[] { ar.Bic }, 1e-9, tag + " bic");
        AssertClose(new[] { f.GetProperty("hqic").GetDouble() }, new[] { ar.Hqic }, 1e-9, tag + " hqic");
        var fc = ar.Forecast(12);
        AssertClose(Arr(f.GetProperty("forecast")), fc.Mean, 1e-9, tag + " forecast");
        AssertClose(Arr(f.GetProperty("variance")), fc.Variance, 1e-8, tag + " forecast variance");
        AssertClose(Arr(f.GetProperty("conf_int_95")), Interleave(fc), 1e-9, tag + " 95% interval");
        AssertClose(Arr(f.GetProperty("conf_int_80")), Interleave(ar.Forecast(12, 0.2)), 1e-9, tag + " 80% interval");
    }

    static double[] Interleave(ArForecast fc) => Enumerable.Range(0, fc.Mean.Length).SelectMany(i => new[] { fc.Lower[i], fc.Upper[i] }).ToArray();

    [Theory]
    [InlineData(0, InformationCriterion.Aic)]
    [InlineData(1, InformationCriterion.Bic)]
    [InlineData(2, InformationCriterion.Hqic)]
    public void OrderSelectionMatchesStatsmodels(int index, InformationCriterion ic)
    {
        var s = Fixture.Value.GetProperty("select")[index];
        var sel = ArOrderSelection.Select(Series, s.GetProperty("max_order").GetInt32(), ic);
        Assert.Equal(s.GetProperty("order").GetInt32(), sel.Order);
        AssertClose(Arr(s.GetProperty("values")), sel.Values, 1e-9, $"{ic} values");
        AssertClose(Arr(s.GetProperty("params")), sel.Model!.Params, 1e-9, $"{ic} refit params");
    }

    [Fact]
    public void GradientDescentWithAutodiffReachesTheOlsCoefficients()
    {
        var syn = Fixture.Value.GetProperty("synthetic");
        var z = Arr(syn.GetProperty("series"));
        var ols = AutoRegression.Fit(z, 2);
        AssertClose(Arr(syn.GetProperty("params")), ols.Params, 1e-9, "OLS vs statsmodels");
        var gd = AutoRegressionGd.Fit(z, 2, steps: 1500);
        AssertClose(ols.Params, gd.Model.Params, 2e-4, "GD vs OLS");
        Assert.Equal(ols.Sigma2, gd.Model.Sigma2, 6);
        Assert.True(gd.LossHistory[^1] < gd.LossHistory[0]);
    }

    [Fact]
    public void ForecastOfAr1HasClosedForm()
    {
        // AR(1): ŷ_{n+h} = μ + φ ŷ_{n+h−1}; var_h = σ² (1 + φ² + … + φ^{2(h−1)})
        var y = Series;
        var ar = AutoRegression.Fit(y, 1);
        var fc = ar.Forecast(5);
        double prev = y[^1], phi = ar.Coefficients[0], v = 0;
        for (int h = 0; h < 5; h++)
        {
            prev = ar.Intercept + phi * prev;
            v += Math.Pow(phi, 2 * h);
            Assert.Equal(prev, fc.Mean[h], 10);
            Assert.Equal(ar.Sigma2 * v, fc.Variance[h], 10);
        }
        var psi = ar.PsiWeights(4);
        for (int j = 0; j < 4; j++) Assert.Equal(Math.Pow(phi, j), psi[j], 14);
    }

    [Fact]
    public void LaggedMomentsMatchPlainLoops()
    {
        var g = new Generator(4);
        var z = new double[60000];
        for (int i = 0; i < z.Length; i++) z[i] = g.NextNormal() + (i > 0 ? 0.5 * z[i - 1] : 0);
        int p = 10, m = p + 1;
        var sums = new double[m]; var gram = new double[m * m];
        LaggedMoments.Compute(z, p, 0.7, sums, gram);
        for (int i = 0; i < m; i++)
        {
            double s = 0;
            for (int t = p; t < z.Length; t++) s += z[t - i] - 0.7;
            Assert.Equal(s, sums[i], 8);
            for (int j = 0; j < m; j++)
            {
                double q = 0;
                for (int t = p; t < z.Length; t++) q += (z[t - i] - 0.7) * (z[t - j] - 0.7);
                Assert.True(Math.Abs(q - gram[i * m + j]) <= 1e-11 * Math.Abs(q) + 1e-9, $"gram[{i},{j}]");
            }
        }
    }

    [Fact]
    public void BadInputThrowsClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => AutoRegression.Fit(new double[] { 1, 2, 3, 4, 5 }, 3));
        Assert.Contains("p = 3", e1.Message);
        Assert.Contains("at least 8", e1.Message);
        var y = Series.ToArray();
        y[17] = double.NaN;
        var e2 = Assert.Throws<ArgumentException>(() => AutoRegression.Fit(y, 2));
        Assert.Contains("index 17", e2.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => AutoRegression.Fit(Series, 0));
        var e3 = Assert.Throws<ArgumentException>(() => AutoRegression.Fit(Enumerable.Repeat(3.0, 50).ToArray(), 2));
        Assert.Contains("singular", e3.Message);
        Assert.Throws<ArgumentException>(() => ArOrderSelection.Select(new double[] { 1, 2, 3 }, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => AutoRegression.Fit(Series, 2).Forecast(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AutoRegression.Fit(Series, 2).Forecast(3, 1.5));
        Assert.Throws<ArgumentException>(() => AutoRegressionGd.Fit(Enumerable.Repeat(1.0, 40).ToArray(), 2));
    }
}
