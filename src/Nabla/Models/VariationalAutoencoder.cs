using Nabla.NN;

namespace Nabla.Models;

/// <summary>The two terms of the (negative) ELBO for a batch, each averaged over the batch.</summary>
/// <param name="Loss">−ELBO = reconstruction + KL (the quantity minimized).</param>
/// <param name="Reconstruction">−E_q[log p(x|z)] with a Bernoulli decoder: BCE summed over pixels.</param>
/// <param name="Kl">KL(q(z|x) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²).</param>
public sealed record ElboTerms(Tensor Loss, Tensor Reconstruction, Tensor Kl);

/// <summary>
/// A variational autoencoder: encoder q(z|x) = N(μ(x), diag σ²(x)), decoder p(x|z) Bernoulli with logits f(z),
/// reparameterization z = μ + σ·ε with ε ~ N(0, I), trained by maximizing
/// ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I)).
/// </summary>
public abstract class VariationalAutoencoder : Module
{
    /// <summary>Size of z.</summary>
    public abstract int LatentDim { get; }

    /// <summary>(μ, log σ²) of q(z|x), each [N, LatentDim].</summary>
    public abstract (Tensor Mu, Tensor LogVar) Encode(Tensor x);

    /// <summary>Decoder logits for z, shaped like the input images.</summary>
    public abstract Tensor DecodeLogits(Tensor z);

    /// <summary>Decoder means p(x|z) = σ(logits) in [0, 1].</summary>
    public Tensor Decode(Tensor z) => DecodeLogits(z).Sigmoid();

    /// <summary>z = μ + exp(½ log σ²)·ε, ε ~ N(0, I) drawn from <paramref name="gen"/>.</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Generator gen)
        => mu + (logVar * 0.5f).Exp() * Tensor.Randn(gen, mu.Shape);

    /// <summary>The negative ELBO of a batch with one z sample per image; x in [0, 1].</summary>
    public ElboTerms Elbo(Tensor x, Generator gen)
    {
        var (mu, logVar) = Encode(x);
        var z = Reparameterize(mu, logVar, gen);
        var logits = DecodeLogits(z).Reshape(x.Shape);
        int n = x.Dim(0);
        var recon = Functional.BinaryCrossEntropyWithLogits(logits, x, Reduction.Sum) / n;
        var kl = Functional.GaussianKlDivergence(mu, logVar, Reduction.Sum) / n;
        return new ElboTerms(recon + kl, recon, kl);
    }

    /// <summary>Images decoded from z ~ N(0, I).</summary>
    public Tensor Sample(int n, Generator gen)
    {
        using var _ = Tensor.NoGrad();
        return Decode(Tensor.Randn(gen, n, LatentDim));
    }

    /// <summary>Decodings of the straight line between the posterior means of two images, <paramref name="steps"/> points.</summary>
    public Tensor Interpolate(Tensor a, Tensor b, int steps)
    {
        if (steps < 2) throw new ArgumentException($"Interpolate: steps must be at least 2, got {steps}");
        using var _ = Tensor.NoGrad();
        var (ma, _) = Encode(a.Unsqueeze(0));
        var (mb, _) = Encode(b.Unsqueeze(0));
        var w = Tensor.Linspace(0, 1, steps).Reshape(steps, 1);
        return Decode(ma * (1f - w) + mb * w);
    }
}

/// <summary>
/// The MLP VAE of the `vae` workload: enc 784→400 ReLU → (mu 400→Z, logvar 400→Z); dec1 Z→400 ReLU → dec2 400→784.
/// Parameter names as the PyTorch reference (enc, mu, logvar, dec1, dec2).
/// </summary>
public sealed class MlpVae : VariationalAutoencoder
{
    readonly Linear enc, mu, logvar, dec1, dec2;
    readonly int inputDim;
    public override int LatentDim { get; }

    public MlpVae(int inputDim = 784, int hidden = 400, int latent = 20, Generator? gen = null)
    {
        if (inputDim <= 0 || hidden <= 0 || latent <= 0) throw new ArgumentException($"MlpVae: sizes must be positive (input {inputDim}, hidden {hidden}, latent {latent})");
        this.inputDim = inputDim; LatentDim = latent;
        enc = RegisterModule("enc", new Linear(inputDim, hidden, gen: gen));
        mu = RegisterModule("mu", new Linear(hidden, latent, gen: gen));
        logvar = RegisterModule("logvar", new Linear(hidden, latent, gen: gen));
        dec1 = RegisterModule("dec1", new Linear(latent, hidden, gen: gen));
        dec2 = RegisterModule("dec2", new Linear(hidden, inputDim, gen: gen));
    }

    public override (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        var h = enc.Forward(x.Reshape(x.Dim(0), inputDim)).Relu();
        return (mu.Forward(h), logvar.Forward(h));
    }

    public override Tensor DecodeLogits(Tensor z) => dec2.Forward(dec1.Forward(z).Relu());
}
