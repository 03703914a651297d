using Nabla.Models;

namespace Nabla.Tests.Models;

public class VaeLikelihoodTests
{
    [Fact]
    public void NegativeElboBitsPerDimIsTheDiscretizedReconstructionPlusTheKl()
    {
        var vae = VariationalAutoencoder.Create("mlp", 4, new Generator(1));
        var x = DiscretizedGaussian.FromUnitInterval(Tensor.Rand(new Generator(2), 3, 1, 28, 28));
        const double std = 0.2;
        var b = VaeLikelihood.NegativeElbo(vae, x, std, new Generator(9), samples: 1);
        // by hand with the same z draw
        vae.Eval();
        double recon = 0, kl = 0;
        using (Tensor.NoGrad())
        {
            var (mu, lv) = vae.Encode((x + 1f) * 0.5f);
            var p = vae.Decode(VariationalAutoencoder.Reparameterize(mu, lv, new Generator(9))).ToArray();
            for (int j = 0; j < p.Length; j++) recon -= DiscretizedGaussian.LogProb(x.Data[j], 2.0 * p[j] - 1, std);
            var m = mu.ToArray(); var l = lv.ToArray();
            for (int j = 0; j < m.Length; j++) kl += 0.5 * (m[j] * m[j] + Math.Exp(l[j]) - 1 - l[j]);
        }
        double toBits = 1 / (3 * 784 * Math.Log(2));
        Assert.Equal(recon * toBits, b.ReconstructionBits, 6);
        Assert.Equal(kl * toBits, b.KlBits, 6);
        Assert.Equal(b.ReconstructionBits + b.KlBits, b.BitsPerDim, 9);
        Assert.True(b.StandardError > 0);
        Assert.Throws<ArgumentException>(() => VaeLikelihood.NegativeElbo(vae, Tensor.Full(0.001f, 1, 1, 28, 28), std, new Generator(0)));
    }

    [Fact]
    public void FittedDecoderStdBeatsNeighbouringValues()
    {
        var vae = VariationalAutoencoder.Create("mlp", 4, new Generator(1));
        var x = DiscretizedGaussian.FromUnitInterval(Tensor.Rand(new Generator(3), 4, 1, 28, 28));
        double s = VaeLikelihood.FitDecoderStd(vae, x, new Generator(5));
        Assert.InRange(s, 1e-3, 1);
        double at = VaeLikelihood.NegativeElbo(vae, x, s, new Generator(5)).ReconstructionBits;
        Assert.True(at <= VaeLikelihood.NegativeElbo(vae, x, s * 1.3, new Generator(5)).ReconstructionBits + 1e-9);
        Assert.True(at <= VaeLikelihood.NegativeElbo(vae, x, s / 1.3, new Generator(5)).ReconstructionBits + 1e-9);
    }
}
