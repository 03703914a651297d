using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Models;

namespace Nabla.Tests.Diffusion;

public class VariationalBoundTests
{
    [Fact]
    public void KlOfEqualGaussiansIsZeroAndMatchesTheClosedForm()
    {
        Assert.Equal(0, VariationalBound.GaussianKl(0.3, 0.7, 0.3, 0.7), 15);
        // KL(N(1, 2) ‖ N(0, 3)) = ½(ln(3/2) + (2 + 1)/3 − 1)
        Assert.Equal(0.5 * Math.Log(1.5), VariationalBound.GaussianKl(1, 2, 0, 3), 14);
        Assert.True(VariationalBound.GaussianKl(0.1, 1, 0, 1) > 0);
    }

    static double Phi(double z) => 0.5 * (1 + Nabla.Kernels.Activation.Erf(z / Math.Sqrt(2)));

    [Fact]
    public void DiscretizedDecoderMatchesAHandComputedBinAndOpenEdges()
    {
        // x = 2·128/255 − 1, μ = 0, σ = 0.01: P = Φ((x + 1/255)/σ) − Φ((x − 1/255)/σ)
        double x = 2 * 128 / 255.0 - 1, s = 0.01;
        double p = Phi((x + 1 / 255.0) / s) - Phi((x - 1 / 255.0) / s);
        Assert.Equal(Math.Log(p), DiscretizedGaussian.LogProb(x, 0, s), 12);
        // x = 1/255 is 0.392 σ from a bin edge: by hand, Φ(0.7843) − Φ(0) with σ = 1/255… use σ = 2/255: bin [0, 2/255] → Φ(1) − Φ(0)
        Assert.Equal(Math.Log(0.34134474606854293), DiscretizedGaussian.LogProb(1 / 255.0, 0, 2 / 255.0), 10);
        // edge bins are open: P(−1) = Φ((−1 + 1/255 − μ)/σ), P(1) = 1 − Φ((1 − 1/255 − μ)/σ)
        Assert.Equal(Math.Log(Phi((-1 + 1 / 255.0 + 0.9) / 0.2)), DiscretizedGaussian.LogProb(-1, -0.9, 0.2), 12);
        Assert.Equal(Math.Log(1 - Phi((1 - 1 / 255.0 - 0.95) / 0.2)), DiscretizedGaussian.LogProb(1, 0.95, 0.2), 12);
        // a mean far outside puts nearly all mass in the edge bin
        Assert.True(DiscretizedGaussian.LogProb(1, 5, 0.1) > -1e-9);
        // the 256 bins sum to 1
        double sum = 0;
        for (int k = 0; k < 256; k++) sum += Math.Exp(DiscretizedGaussian.LogProb(2 * k / 255.0 - 1, 0.37, 0.3));
        Assert.Equal(1, sum, 10);
    }

    [Fact]
    public void PerfectModelHasZeroKlTermsAndThePriorOfTheClosedForm()
    {
        var s = NoiseSchedule.Linear(50, 1e-4, 0.2);
        var x0 = DiscretizedGaussian.FromUnitInterval(Tensor.FromArray(new[] { 0f, 1f, 128 / 255f, 3 / 255f }, 1, 4));
        var truth = x0.ToArray();
        NoisePredictor x0Model = (x, t, _) => { var o = new float[x.Size]; for (int i = 0; i < o.Length; i++) o[i] = truth[i % 4]; return new Tensor(o, x.Shape); };
        var vb = new VariationalBound(new DiffusionPipeline(x0Model, s, new[] { 4 }, Prediction.X0));
        var terms = vb.Exact(x0, null, new Generator(1))[0];
        for (int t = 1; t < s.T; t++) Assert.True(Math.Abs(terms.Terms[t]) < 1e-9, $"L_{t} = {terms.Terms[t]}");
        double ab = 1; for (int t = 0; t < s.T; t++) ab *= 1 - s.Beta64(t);
        double prior = truth.Sum(x => 0.5 * ((1 - ab) + ab * x * x - 1 - Math.Log(1 - ab)));
        Assert.Equal(prior, terms.Prior, 12);
        Assert.True(terms.Terms[0] > 0);   // the decoder term is −log of a probability
    }

    [Fact]
    public void RandomTimestepEstimateAgreesWithTheExactSumWithinItsError()
    {
        var s = NoiseSchedule.Linear(40, 1e-3, 0.2);
        NoisePredictor m = (x, t, _) => x * 0.5f;
        var vb = new VariationalBound(new DiffusionPipeline(m, s, new[] { 6 }));
        var x0 = DiscretizedGaussian.FromUnitInterval(Tensor.Rand(new Generator(3), 8, 6));
        double exact = vb.Exact(x0, null, new Generator(4)).Average(r => r.BitsPerDim);
        var est = vb.Estimate(x0, null, 200, new Generator(5));
        Assert.True(est.StandardError > 0);
        Assert.True(Math.Abs(est.BitsPerDim - exact) < 4 * est.StandardError + 0.02 * exact, $"estimate {est.BitsPerDim} ± {est.StandardError} vs exact {exact}");
        Assert.Throws<ArgumentException>(() => vb.Exact(Tensor.FromArray(new[] { 0.001f, 0, 0, 0, 0, 0 }, 1, 6), null, new Generator(0)));
    }

    [Fact]
    public void FullBoundOfTheReferenceUNetMatchesPyTorch()
    {
        var fx = SafeTensorFile.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "ddpm_vlb.safetensors")).ReadAll();
        var w = SafeTensorFile.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "ddpm_unet.safetensors")).ReadAll();
        var net = UNet.DdpmWorkload(gen: new Generator(5));
        net.LoadStateDict(w.Where(p => !p.Key.Contains("put.")).ToDictionary(p => p.Key, p => p.Value), strict: true);
        net.Eval();
        var vb = new VariationalBound(new DiffusionPipeline(net, NoiseSchedule.Linear(1000)));
        var x0 = fx["x0"]; var noise = fx["noise"].ToArray();
        int row = 0;
        var terms = vb.Exact(x0, null, (rows, per) =>
        {
            var e = new float[rows * per];
            for (int r = 0; r < rows; r++, row++) Array.Copy(noise, row / 1000 * per, e, r * per, per);
            return e;
        });
        var bpd = fx["bpd"].ToArray(); var prior = fx["prior"].ToArray(); var refTerms = fx["terms"].ToArray();
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(prior[i], terms[i].Prior, 4);
            Assert.True(Math.Abs(refTerms[i * 1000] - terms[i].Terms[0]) < 1e-3 * Math.Abs(refTerms[i * 1000]), $"L0 {terms[i].Terms[0]} vs {refTerms[i * 1000]}");
            Assert.True(Math.Abs(bpd[i] - terms[i].BitsPerDim) < 1e-4, $"image {i}: {terms[i].BitsPerDim} bits/dim vs PyTorch {bpd[i]}");
        }
    }
}
