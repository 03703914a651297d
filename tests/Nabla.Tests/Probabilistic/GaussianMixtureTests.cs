using System.Text.Json;
using Nabla.Probabilistic;

namespace Nabla.Tests.Probabilistic;

/// <summary>GaussianMixture against scikit-learn fixtures (tests/fixtures/gen/probabilistic.py) and its own invariants.</summary>
public class GaussianMixtureTests
{
    static readonly Lazy<JsonElement> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "probabilistic", "gmm.json"))).RootElement);

    internal static double[] Arr(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    static double[,] Matrix(double[] flat, int rows, int cols)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = flat[i * cols + j];
        return m;
    }

    static double[] Flat(double[,] m) { var f = new double[m.Length]; Buffer.BlockCopy(m, 0, f, 0, m.Length * 8); return f; }

    /// <summary>max |a − b| ≤ rel · max |b| (relative to the size of the whole array).</summary>
    internal static void AssertClose(double[] expected, double[] actual, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= rel * scale,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|diff| {Math.Abs(expected[i] - actual[i]):g3} > {rel * scale:g3})");
    }

    static CovarianceType Parse(string s) => s switch
    {
        "full" => CovarianceType.Full, "tied" => CovarianceType.Tied, "diag" => CovarianceType.Diagonal, _ => CovarianceType.Spherical,
    };

    static (double[,] x, int n, int d, int k) Data()
    {
        var f = Fixture.Value;
        int n = f.GetProperty("n").GetInt32(), d = f.GetProperty("d").GetInt32(), k = f.GetProperty("k").GetInt32();
        return (Matrix(Arr(f.GetProperty("x")), n, d), n, d, k);
    }

    public static IEnumerable<object[]> Cases() =>
        Enumerable.Range(0, 8).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScikitLearnFromTheSameInitialization(int index)
    {
        var f = Fixture.Value;
        var c = f.GetProperty("cases")[index];
        var (x, n, d, k) = Data();
        var gm = new GaussianMixture(k, Parse(c.GetProperty("covariance_type").GetString()!))
        {
            MaxIter = c.GetProperty("max_iter").GetInt32(),
            Tol = c.GetProperty("tol").GetDouble(),
            RegCovar = f.GetProperty("reg_covar").GetDouble(),
            MeansInit = Matrix(Arr(f.GetProperty("means_init")), k, d),
            WeightsInit = Arr(f.GetProperty("weights_init")),
            PrecisionsInit = Arr(c.GetProperty("precisions_init")),
        }.Fit(x);
        string tag = c.GetProperty("covariance_type").GetString() + "/" + c.GetProperty("label").GetString();
        Assert.Equal(c.GetProperty("n_iter").GetInt32(), gm.Iterations);
        Assert.Equal(c.GetProperty("converged").GetBoolean(), gm.Converged);
        Assert.Equal(gm.Iterations, gm.History.Count);
        AssertClose(new[] { c.GetProperty("lower_bound").GetDouble() }, new[] { gm.LowerBound }, 1e-9, tag + " lower bound");
        AssertClose(Arr(c.GetProperty("weights")), gm.Weights, 1e-5, tag + " weights");
        AssertClose(Arr(c.GetProperty("means")), Flat(gm.Means), 1e-5, tag + " means");
        AssertClose(Arr(c.GetProperty("covariances")), gm.CovarianceParameters, 1e-5, tag + " covariances");
        AssertClose(Arr(c.GetProperty("precisions_cholesky")), gm.PrecisionsCholesky, 1e-5, tag + " precisions_cholesky");
        AssertClose(new[] { c.GetProperty("score").GetDouble() }, new[] { gm.Score(x) }, 1e-9, tag + " score");
        var head = new double[10, d];
        for (int i = 0; i < 10; i++) for (int j = 0; j < d; j++) head[i, j] = x[i, j];
        AssertClose(Arr(c.GetProperty("score_samples_head")), gm.ScoreSamples(head), 1e-7, tag + " score_samples");
        AssertClose(Arr(c.GetProperty("predict_proba_head")), Flat(gm.PredictProba(head)), 1e-6, tag + " predict_proba");
        Assert.Equal(c.GetProperty("predict").EnumerateArray().Select(v => v.GetInt32()).ToArray(), gm.Predict(x));
        AssertClose(new[] { c.GetProperty("bic").GetDouble() }, new[] { gm.Bic(x) }, 1e-9, tag + " bic");
        AssertClose(new[] { c.GetProperty("aic").GetDouble() }, new[] { gm.Aic(x) }, 1e-9, tag + " aic");
        // EM never decreases the likelihood
        for (int i = 1; i < gm.History.Count; i++) Assert.True(gm.History[i] >= gm.History[i - 1] - 1e-10, $"{tag}: history decreased at {i}");
    }

    [Fact]
    public void PosteriorsSumToOneAndCovarianceExpansionMatches()
    {
        var (x, _, d, k) = Data();
        foreach (var t in Enum.GetValues<CovarianceType>())
        {
            var gm = new GaussianMixture(k, t) { NInit = 2 }.Fit(x, new Generator(5));
            var r = gm.PredictProba(x);
            for (int i = 0; i < x.GetLength(0); i++)
            {
                double s = 0;
                for (int j = 0; j < k; j++) s += r[i, j];
                Assert.Equal(1.0, s, 12);
            }
            var raw = gm.CovarianceParameters;
            var c1 = gm.Covariance(1);
            double expect01 = t switch { CovarianceType.Full => raw[d * d + 1], CovarianceType.Tied => raw[1], _ => 0 };
            Assert.Equal(expect01, c1[0, 1]);
            Assert.True(gm.Score(x) == gm.ScoreSamples(x).Average() || Math.Abs(gm.Score(x) - gm.ScoreSamples(x).Average()) < 1e-12);
        }
    }

    [Fact]
    public void KMeansInitRecoversWellSeparatedClusters()
    {
        var truth = new[,] { { 0.0, 0.0 }, { 10.0, 0.0 }, { 0.0, 10.0 } };
        var gen = new Generator(11);
        int n = 900;
        var x = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            int c = i % 3;
            x[i, 0] = truth[c, 0] + gen.NextNormal();
            x[i, 1] = truth[c, 1] + 0.5 * gen.NextNormal();
        }
        foreach (var init in new[] { MixtureInit.KMeans, MixtureInit.KMeansPlusPlus })
        {
            var gm = new GaussianMixture(3, CovarianceType.Diagonal) { Init = init, NInit = 3 }.Fit(x, new Generator(1));
            Assert.True(gm.Converged);
            var m = gm.Means;
            for (int c = 0; c < 3; c++)
            {
                double best = Enumerable.Range(0, 3).Min(j => Math.Abs(m[j, 0] - truth[c, 0]) + Math.Abs(m[j, 1] - truth[c, 1]));
                Assert.True(best < 0.3, $"{init}: no mean near ({truth[c, 0]}, {truth[c, 1]})");
            }
            foreach (var w in gm.Weights) Assert.Equal(1.0 / 3, w, 2);
            var cov = gm.Covariance(0);
            Assert.Equal(0.0, cov[0, 1]);
            Assert.InRange(cov[1, 1], 0.18, 0.33);
        }
    }

    [Fact]
    public void SamplingReproducesTheMixtureAndIsDeterministic()
    {
        var x0 = new[,] { { 0.0, 0.0 }, { 5.0, 5.0 } };
        var gm = new GaussianMixture(2, CovarianceType.Full)
        {
            MeansInit = x0, WeightsInit = new[] { 0.25, 0.75 }, PrecisionsInit = new[] { 1.0, 0.5, 0.5, 1.0, 4.0, 0, 0, 4.0 }, MaxIter = 1,
        };
        // one EM step on data drawn from the initial model barely moves it; sample from the fit
        var data = new double[4000, 2];
        var g = new Generator(3);
        for (int i = 0; i < 4000; i++) { bool a = i % 4 == 0; data[i, 0] = (a ? 0 : 5) + g.NextNormal(); data[i, 1] = (a ? 0 : 5) + g.NextNormal(); }
        gm.Fit(data);
        var (s1, l1) = gm.Sample(20000, new Generator(9));
        var (s2, l2) = gm.Sample(20000, new Generator(9));
        Assert.Equal(Flat(s1), Flat(s2));
        Assert.Equal(l1, l2);
        var w = gm.Weights;
        Assert.InRange(l1.Count(v => v == 0) / 20000.0 - w[0], -0.012, 0.012); // ±4 standard errors
        var means = gm.Means;
        for (int k = 0; k < 2; k++)
        {
            var idx = Enumerable.Range(0, 20000).Where(i => l1[i] == k).ToArray();
            double mx = idx.Average(i => s1[i, 0]), my = idx.Average(i => s1[i, 1]);
            Assert.InRange(mx - means[k, 0], -0.06, 0.06);
            Assert.InRange(my - means[k, 1], -0.06, 0.06);
            double cxy = idx.Average(i => (s1[i, 0] - mx) * (s1[i, 1] - my));
            Assert.InRange(cxy - gm.Covariance(k)[0, 1], -0.06, 0.06);
        }
    }

    [Fact]
    public void ResultsDoNotDependOnParallelChunking()
    {
        // 20,000 points: the parallel path; fitting twice gives bit-identical results
        var g = new Generator(2);
        var x = new double[20000, 4];
        for (int i = 0; i < 20000; i++) for (int j = 0; j < 4; j++) x[i, j] = (i % 2) * 3 + g.NextNormal();
        var m0 = new double[,] { { 0, 0, 0, 0 }, { 1, 1, 1, 1 } };
        var a = new GaussianMixture(2) { MaxIter = 10, Tol = 0, MeansInit = m0 }.Fit(x);
        var b = new GaussianMixture(2) { MaxIter = 10, Tol = 0, MeansInit = m0 }.Fit(x);
        Assert.Equal(a.LowerBound, b.LowerBound);
        Assert.Equal(Flat(a.Means), Flat(b.Means));
    }

    [Fact]
    public void BadInputThrowsClearErrors()
    {
        var x = new double[,] { { 0, 0 }, { 1, 1 }, { 2, 0 } };
        var e1 = Assert.Throws<ArgumentException>(() => new GaussianMixture(4).Fit(x));
        Assert.Contains("K = 4", e1.Message);
        Assert.Contains("n = 3", e1.Message);

        var bad = new double[,] { { 0, 0 }, { 1, double.NaN }, { 2, 0 } };
        var e2 = Assert.Throws<ArgumentException>(() => new GaussianMixture(2).Fit(bad));
        Assert.Contains("row 1, column 1", e2.Message);

        var dup = new double[,] { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 5, 5 }, { 5, 6 }, { 6, 5 } };
        var e3 = Assert.Throws<ArgumentException>(() => new GaussianMixture(2, CovarianceType.Full)
        {
            RegCovar = 0, MeansInit = new double[,] { { 1, 1 }, { 5, 5 } },
        }.Fit(dup));
        Assert.Contains("component 0", e3.Message);
        Assert.Contains("RegCovar", e3.Message);

        var gm = new GaussianMixture(2).Fit(new double[,] { { 0, 0 }, { 0.1, 0.3 }, { 1, 1 }, { 5, 5 }, { 5.2, 5.1 }, { 4.7, 5.3 } }, new Generator(0));
        var e4 = Assert.Throws<ArgumentException>(() => gm.Score(new double[,] { { 1, 2, 3 } }));
        Assert.Contains("3 columns", e4.Message);
        Assert.Throws<ArgumentException>(() => new GaussianMixture(2) { MeansInit = new double[3, 2] }.Fit(x));
        Assert.Throws<ArgumentException>(() => new GaussianMixture(2) { WeightsInit = new[] { 0.5, 0.6 } }.Fit(x));
        Assert.Throws<ArgumentException>(() => new GaussianMixture(2, CovarianceType.Diagonal) { MeansInit = new double[2, 2], PrecisionsInit = new double[3] }.Fit(x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianMixture(0));
        Assert.Throws<InvalidOperationException>(() => new GaussianMixture(2).Score(x));
    }
}
