namespace Nabla.Models;

/// <summary>The negative ELBO of a VAE in bits/dim on 8-bit data, with its parts (means over the images).</summary>
/// <param name="BitsPerDim">−ELBO/(D ln 2).</param>
/// <param name="StandardError">Standard error of <see cref="BitsPerDim"/> over the images (the spread of the data, not of the z draws).</param>
/// <param name="ReconstructionBits">E_q[−log P(x | z)] in bits/dim.</param>
/// <param name="KlBits">KL(q(z | x) ‖ N(0, I)) in bits/dim.</param>
/// <param name="DecoderStd">σ of the discretized decoder.</param>
public readonly record struct VaeBound(double BitsPerDim, double StandardError, double ReconstructionBits, double KlBits, double DecoderStd, int Images);

/// <summary>
/// A VAE's −ELBO on 8-bit images in bits/dim, comparable with the DDPM bound (<c>Nabla.Diffusion.VariationalBound</c>):
/// the Bernoulli decoder's mean p(z) ∈ [0, 1] becomes the mean 2p − 1 of a discretized Gaussian decoder on the grid
/// 2k/255 − 1 (<see cref="DiscretizedGaussian"/>) with one standard deviation σ for every pixel, so
/// −ELBO(x) = E_{z~q(z|x)}[−Σ_j log P(x_j | 2p_j(z) − 1, σ)] + ½ Σ (μ² + σ_q² − 1 − log σ_q²),
/// estimated with S draws of z per image. σ is a parameter of this decoder: <see cref="FitDecoderStd"/> chooses it on
/// training images (maximising their ELBO), never on the images being scored.
/// </summary>
public static class VaeLikelihood
{
    /// <summary>−ELBO in bits/dim of images <paramref name="x"/> [N, 1, 28, 28] (or [N, 784]) on the 8-bit grid in [−1, 1].</summary>
    public static VaeBound NegativeElbo(VariationalAutoencoder vae, Tensor x, double decoderStd, Generator gen, int samples = 1, int batch = 500, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(vae); ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(gen);
        if (!(decoderStd > 0)) throw new ArgumentOutOfRangeException(nameof(decoderStd), $"VaeLikelihood: decoderStd must be > 0, got {decoderStd}");
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), $"VaeLikelihood: samples must be ≥ 1, got {samples}");
        if (x.Rank < 2 || x.Dim(0) < 1) throw new ArgumentException($"VaeLikelihood: images {ShapeMath.Format(x.Shape)} need a batch dimension");
        var (recon, kl) = PerImage(vae, x, decoderStd, gen, samples, batch, ct);
        int n = recon.Length, d = x.Size / n;
        double toBits = 1 / (d * Math.Log(2));
        var total = recon.Zip(kl, (r, k) => (r + k) * toBits).ToArray();
        double mean = total.Average();
        double se = n > 1 ? Math.Sqrt(total.Sum(v => (v - mean) * (v - mean)) / (n - 1) / n) : 0;
        return new VaeBound(mean, se, recon.Average() * toBits, kl.Average() * toBits, decoderStd, n);
    }

    /// <summary>The σ in [1e-3, 1] that minimises the mean −ELBO of <paramref name="x"/> (golden-section search on log σ, fixed z draws).</summary>
    public static double FitDecoderStd(VariationalAutoencoder vae, Tensor x, Generator gen, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(vae); ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(gen);
        var means = DecoderMeans(vae, x, gen, ct);   // one z per image, kept fixed during the search
        int n = x.Dim(0), d = x.Size / n;
        var xd = x.Data.ToArray();
        double Cost(double logStd)
        {
            double s = Math.Exp(logStd), c = 0;
            for (int i = 0; i < n; i++) c -= DiscretizedGaussian.LogLikelihood(xd.AsSpan(i * d, d), means.AsSpan(i * d, d), s);
            return c;
        }
        double lo = Math.Log(1e-3), hi = 0, g = (Math.Sqrt(5) - 1) / 2;
        double a = hi - g * (hi - lo), b = lo + g * (hi - lo), fa = Cost(a), fb = Cost(b);
        for (int it = 0; it < 40; it++)
        {
            ct.ThrowIfCancellationRequested();
            if (fa < fb) { hi = b; b = a; fb = fa; a = hi - g * (hi - lo); fa = Cost(a); }
            else { lo = a; a = b; fa = fb; b = lo + g * (hi - lo); fb = Cost(b); }
        }
        return Math.Exp((lo + hi) / 2);
    }

    static void CheckGrid(Tensor x)
    {
        foreach (var v in x.Data)
        {
            double k = (v + 1) * 127.5;
            if (Math.Abs(k - Math.Round(k)) > 1e-3 || k < -1e-3 || k > 255.001)
                throw new ArgumentException($"VaeLikelihood: value {v} is not on the 8-bit grid 2k/255 − 1 (convert with DiscretizedGaussian.FromUnitInterval)");
        }
    }

    /// <summary>2p(z) − 1 for one z ~ q(z|x) per image, as doubles [N·D].</summary>
    static double[] DecoderMeans(VariationalAutoencoder vae, Tensor x, Generator gen, CancellationToken ct)
    {
        CheckGrid(x);
        int n = x.Dim(0), d = x.Size / n;
        var o = new double[n * d];
        bool was = vae.Training; vae.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            for (int i = 0; i < n; i += 500)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = TensorScope.Begin();
                int m = Math.Min(500, n - i);
                var x01 = (x.Slice(0, i, i + m) + 1f) * 0.5f;
                var (mu, lv) = vae.Encode(x01);
                var p = vae.Decode(VariationalAutoencoder.Reparameterize(mu, lv, gen)).Data;
                for (int j = 0; j < m * d; j++) o[i * d + j] = 2.0 * p[j] - 1;
            }
        }
        finally { vae.Train(was); }
        return o;
    }

    static (double[] recon, double[] kl) PerImage(VariationalAutoencoder vae, Tensor x, double std, Generator gen, int samples, int batch, CancellationToken ct)
    {
        CheckGrid(x);
        int n = x.Dim(0), d = x.Size / n;
        var recon = new double[n]; var kl = new double[n];
        var xd = x.Data.ToArray();
        bool was = vae.Training; vae.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            for (int i = 0; i < n; i += batch)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = TensorScope.Begin();
                int m = Math.Min(batch, n - i);
                var x01 = (x.Slice(0, i, i + m) + 1f) * 0.5f;
                var (mu, lv) = vae.Encode(x01);
                int zd = mu.Size / m;
                var md = mu.Data; var ld = lv.Data;
                for (int r = 0; r < m; r++)
                {
                    double k = 0;
                    for (int j = 0; j < zd; j++) { double u = md[r * zd + j], l = ld[r * zd + j]; k += 0.5 * (u * u + Math.Exp(l) - 1 - l); }
                    kl[i + r] = k;
                }
                var mean = new double[d];
                for (int s = 0; s < samples; s++)
                {
                    var p = vae.Decode(VariationalAutoencoder.Reparameterize(mu, lv, gen)).Data;
                    for (int r = 0; r < m; r++)
                    {
                        for (int j = 0; j < d; j++) mean[j] = 2.0 * p[r * d + j] - 1;
                        recon[i + r] -= DiscretizedGaussian.LogLikelihood(xd.AsSpan((i + r) * d, d), mean, std) / samples;
                    }
                }
            }
        }
        finally { vae.Train(was); }
        return (recon, kl);
    }
}
