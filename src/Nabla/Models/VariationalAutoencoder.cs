using System.Globalization;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>The two terms of the (negative) ELBO for a batch, each averaged over the batch.</summary>
/// <param name="Loss">−ELBO = reconstruction + KL (the quantity minimized).</param>
/// <param name="Reconstruction">−E_q[log p(x|z)] with a Bernoulli decoder: BCE summed over pixels.</param>
/// <param name="Kl">KL(q(z|x) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²).</param>
public sealed record ElboTerms(Tensor Loss, Tensor Reconstruction, Tensor Kl);

/// <summary>Per-image averages of the ELBO's terms over a data set or a batch (numbers, no graph).</summary>
/// <param name="Reconstruction">−E_q[log p(x|z)], BCE summed over pixels.</param>
/// <param name="Kl">KL(q(z|x) ‖ N(0, I)).</param>
public readonly record struct ElboValues(double Reconstruction, double Kl)
{
    /// <summary>−ELBO = reconstruction + KL.</summary>
    public double NegativeElbo => Reconstruction + Kl;
    /// <summary>ELBO = −(reconstruction + KL), a lower bound of log p(x).</summary>
    public double Elbo => -NegativeElbo;
}

/// <summary>
/// A variational autoencoder: encoder q(z|x) = N(μ(x), diag σ²(x)), decoder p(x|z) Bernoulli with logits f(z),
/// reparameterization z = μ + σ·ε with ε ~ N(0, I), trained by maximizing
/// ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I)).
/// </summary>
public abstract class VariationalAutoencoder : Module
{
    /// <summary>Size of z.</summary>
    public abstract int LatentDim { get; }

    /// <summary>"mlp" or "conv" (see <see cref="Create"/>).</summary>
    public abstract string Architecture { get; }

    /// <summary>(μ, log σ²) of q(z|x), each [N, LatentDim]; x is [N, 784] or [N, 1, 28, 28].</summary>
    public abstract (Tensor Mu, Tensor LogVar) Encode(Tensor x);

    /// <summary>Decoder logits for z: [N, 784] (MLP) or [N, 1, 28, 28] (conv).</summary>
    public abstract Tensor DecodeLogits(Tensor z);

    /// <summary>Decoder means p(x|z) = σ(logits) in [0, 1].</summary>
    public Tensor Decode(Tensor z) => DecodeLogits(z).Sigmoid();

    /// <summary>Reconstruction σ(f(μ(x))) from the posterior mean, shaped like x.</summary>
    public override Tensor Forward(Tensor x) => Decode(Encode(x).Mu).Reshape(x.Shape);

    /// <summary>z = μ + exp(½ log σ²)·ε, ε ~ N(0, I) drawn from <paramref name="gen"/>.</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Generator gen)
        => Reparameterize(mu, logVar, Tensor.Randn(gen, mu.Shape));

    /// <summary>z = μ + exp(½ log σ²)·ε for a given ε (shaped like μ): differentiable in μ and log σ², ε held fixed.</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Tensor eps)
    {
        if (!mu.Shape.AsSpan().SequenceEqual(logVar.Shape) || !mu.Shape.AsSpan().SequenceEqual(eps.Shape))
            throw new ArgumentException($"Reparameterize: mu {ShapeMath.Format(mu.Shape)}, logvar {ShapeMath.Format(logVar.Shape)} and eps {ShapeMath.Format(eps.Shape)} must have the same shape");
        return mu + (logVar * 0.5f).Exp() * eps;
    }

    /// <summary>The negative ELBO of a batch with one z sample per image; x in [0, 1].</summary>
    public ElboTerms Elbo(Tensor x, Generator gen)
    {
        var (mu, logVar) = Encode(x);
        return Terms(x, mu, logVar, Tensor.RandnTemp(gen, mu.Shape));
    }

    /// <summary>The negative ELBO of a batch for a given ε [N, LatentDim] (z = μ + σ·ε).</summary>
    public ElboTerms Elbo(Tensor x, Tensor eps)
    {
        var (mu, logVar) = Encode(x);
        return Terms(x, mu, logVar, eps);
    }

    ElboTerms Terms(Tensor x, Tensor mu, Tensor logVar, Tensor eps)
    {
        var z = Reparameterize(mu, logVar, eps);
        var logits = DecodeLogits(z).Reshape(x.Shape);
        var recon = BernoulliLoss.SumPerSample(logits, x);
        var kl = Functional.GaussianKlDivergence(mu, logVar, Reduction.Sum) / (float)x.Dim(0);
        return new ElboTerms(recon + kl, recon, kl);
    }

    /// <summary>One optimization step on −ELBO of a batch; returns its two terms (per image).</summary>
    public ElboValues TrainStep(Optimizer optimizer, Tensor x, Generator gen)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        using var scope = TensorScope.Begin();  // the step's activations and gradients are reused by the next step
        var t = Elbo(x, gen);
        ZeroGrad();
        t.Loss.Backward();
        optimizer.Step();
        return new ElboValues(t.Reconstruction.Item(), t.Kl.Item());
    }

    /// <summary>Per-image ELBO terms over <paramref name="x"/> [N, …] (one z sample per image, no gradients, eval mode).</summary>
    public ElboValues Evaluate(Tensor x, Generator gen, int batch = 1000)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), $"Evaluate: batch must be positive, got {batch}");
        bool was = Training;
        Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            int n = x.Dim(0);
            double recon = 0, kl = 0;
            for (int i = 0; i < n; i += batch)
            {
                int m = Math.Min(batch, n - i);
                using var scope = TensorScope.Begin();
                var t = Elbo(x.Slice(0, i, i + m), gen);
                recon += t.Reconstruction.Item() * m;
                kl += t.Kl.Item() * m;
            }
            return n == 0 ? default : new ElboValues(recon / n, kl / n);
        }
        finally { Train(was); }
    }

    /// <summary>Images decoded from z ~ N(0, I), shaped [n, 1, 28, 28] (28×28 models).</summary>
    public Tensor Sample(int n, Generator gen)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"Sample: n must be positive, got {n}");
        using var _ = Tensor.NoGrad();
        return AsImages(Decode(Tensor.Randn(gen, n, LatentDim)));
    }

    /// <summary>
    /// Decodings of the straight line z(λ) = (1 − λ)·μ(a) + λ·μ(b), λ = 0, 1/(steps−1), …, 1, between the posterior
    /// means of two images; [steps, 1, 28, 28].
    /// </summary>
    public Tensor Interpolate(Tensor a, Tensor b, int steps)
    {
        if (steps < 2) throw new ArgumentException($"Interpolate: steps must be at least 2, got {steps}");
        using var _ = Tensor.NoGrad();
        var (ma, _) = Encode(a.Unsqueeze(0));
        var (mb, _) = Encode(b.Unsqueeze(0));
        var w = Tensor.Linspace(0, 1, steps).Reshape(steps, 1);
        return AsImages(Decode(ma * (1f - w) + mb * w));
    }

    /// <summary>[N, 784] or [N, 1, 28, 28] decodings as images [N, 1, 28, 28] (other sizes unchanged).</summary>
    internal static Tensor AsImages(Tensor t) => t.Size == t.Dim(0) * 784 ? t.Reshape(t.Dim(0), 1, 28, 28) : t;

    /// <summary>Checkpoint metadata from which <see cref="FromMetadata"/> rebuilds this architecture.</summary>
    public virtual Dictionary<string, string> Metadata() => new()
    {
        ["model"] = "vae",
        ["arch"] = Architecture,
        ["latent"] = LatentDim.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A fresh VAE: "mlp" (<see cref="MlpVae"/>, latent 20 by default) or "conv" (<see cref="ConvVae"/>, latent 16).</summary>
    public static VariationalAutoencoder Create(string arch, int? latent = null, Generator? gen = null) => arch?.ToLowerInvariant() switch
    {
        "mlp" => new MlpVae(latent: latent ?? 20, gen: gen),
        "conv" => new ConvVae(latent ?? 16, gen),
        _ => throw new ArgumentException($"VariationalAutoencoder.Create: unknown architecture '{arch}' (expected mlp or conv)", nameof(arch)),
    };

    /// <summary>Rebuilds the (untrained) architecture a checkpoint's metadata describes.</summary>
    public static VariationalAutoencoder FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue("model", out var model) || model != "vae")
            throw new InvalidDataException($"VariationalAutoencoder: the checkpoint's metadata does not describe a VAE (model = '{model ?? "(none)"}')");
        var arch = metadata.TryGetValue("arch", out var a) ? a : throw new InvalidDataException("VariationalAutoencoder: the checkpoint's metadata has no 'arch'");
        int latent = ReadInt(metadata, "latent");
        if (arch == "mlp" && metadata.ContainsKey("hidden"))
            return new MlpVae(ReadInt(metadata, "input"), ReadInt(metadata, "hidden"), latent, new Generator(0));
        return Create(arch, latent, new Generator(0));
    }

    internal static int ReadInt(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v : throw new InvalidDataException($"checkpoint metadata: '{key}' is missing or not a positive integer ({s ?? "(none)"})");
}

/// <summary>
/// The MLP VAE of the `vae` workload: enc 784→400 ReLU → (mu 400→Z, logvar 400→Z); dec1 Z→400 ReLU → dec2 400→784.
/// Parameter names as the PyTorch reference (enc, mu, logvar, dec1, dec2).
/// </summary>
public sealed class MlpVae : VariationalAutoencoder
{
    readonly Linear enc, mu, logvar, dec1, dec2;
    readonly int inputDim, hidden;
    public override int LatentDim { get; }
    public override string Architecture => "mlp";

    public MlpVae(int inputDim = 784, int hidden = 400, int latent = 20, Generator? gen = null)
    {
        if (inputDim <= 0 || hidden <= 0 || latent <= 0) throw new ArgumentException($"MlpVae: sizes must be positive (input {inputDim}, hidden {hidden}, latent {latent})");
        this.inputDim = inputDim; this.hidden = hidden; LatentDim = latent;
        enc = RegisterModule("enc", new Linear(inputDim, hidden, gen: gen));
        mu = RegisterModule("mu", new Linear(hidden, latent, gen: gen));
        logvar = RegisterModule("logvar", new Linear(hidden, latent, gen: gen));
        dec1 = RegisterModule("dec1", new Linear(latent, hidden, gen: gen));
        dec2 = RegisterModule("dec2", new Linear(hidden, inputDim, gen: gen));
    }

    public override (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        if (x.Rank == 0 || x.Size != x.Dim(0) * inputDim)
            throw new ArgumentException($"MlpVae.Encode: input of shape {ShapeMath.Format(x.Shape)} must hold {inputDim} values per sample");
        var h = enc.Forward(x.Reshape(x.Dim(0), inputDim)).Relu();
        return (mu.Forward(h), logvar.Forward(h));
    }

    public override Tensor DecodeLogits(Tensor z) => dec2.Forward(dec1.Forward(z).Relu());

    public override Dictionary<string, string> Metadata()
    {
        var m = base.Metadata();
        m["input"] = inputDim.ToString(CultureInfo.InvariantCulture);
        m["hidden"] = hidden.ToString(CultureInfo.InvariantCulture);
        return m;
    }
}
