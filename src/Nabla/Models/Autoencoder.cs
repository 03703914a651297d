using System.Globalization;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// A deterministic autoencoder x → z = e(x) → x̂ = σ(d(z)) for 28×28 images, trained on the reconstruction BCE
/// (summed over pixels, averaged over the batch). MLP (784-H-Z / Z-H-784, ReLU) or convolutional (the encoder and
/// decoder of <see cref="ConvVae"/> with a single latent head) variants.
/// </summary>
public sealed class Autoencoder : Module
{
    readonly Sequential encoder, decoder;
    readonly int hidden;

    /// <summary>Size of z.</summary>
    public int LatentDim { get; }
    /// <summary>"mlp" or "conv".</summary>
    public string Architecture { get; }

    /// <param name="convolutional">Conv encoder/decoder instead of the MLP.</param>
    /// <param name="latent">Size of z.</param>
    /// <param name="hidden">Hidden width H of the MLP variant.</param>
    /// <param name="gen">Initialization randomness (default <see cref="Generator.Default"/>).</param>
    public Autoencoder(bool convolutional = false, int latent = 16, int hidden = 400, Generator? gen = null)
    {
        if (latent <= 0 || hidden <= 0) throw new ArgumentException($"Autoencoder: sizes must be positive (latent {latent}, hidden {hidden})");
        Architecture = convolutional ? "conv" : "mlp"; LatentDim = latent; this.hidden = hidden;
        if (convolutional)
        {
            encoder = RegisterModule("encoder", new Sequential(
                new Conv2d(1, 32, 4, stride: 2, padding: 1, gen: gen), new ReLU(),
                new Conv2d(32, 64, 4, stride: 2, padding: 1, gen: gen), new ReLU(),
                new Flatten(), new Linear(64 * 7 * 7, latent, gen: gen)));
            decoder = RegisterModule("decoder", new Sequential(
                new Linear(latent, 64 * 7 * 7, gen: gen), new ReLU(), new Unflatten(64, 7, 7),
                new ConvTranspose2d(64, 32, 4, stride: 2, padding: 1, gen: gen), new ReLU(),
                new ConvTranspose2d(32, 1, 4, stride: 2, padding: 1, gen: gen)));
        }
        else
        {
            encoder = RegisterModule("encoder", new Sequential(new Linear(784, hidden, gen: gen), new ReLU(), new Linear(hidden, latent, gen: gen)));
            decoder = RegisterModule("decoder", new Sequential(new Linear(latent, hidden, gen: gen), new ReLU(), new Linear(hidden, 784, gen: gen)));
        }
    }

    /// <summary>z = e(x) [N, LatentDim] for x [N, 784] or [N, 1, 28, 28].</summary>
    public Tensor Encode(Tensor x)
    {
        if (x.Rank == 0 || x.Size != x.Dim(0) * 784)
            throw new ArgumentException($"Autoencoder.Encode: input of shape {ShapeMath.Format(x.Shape)} must hold 784 (28×28) values per image");
        return encoder.Forward(Architecture == "conv" ? x.Reshape(x.Dim(0), 1, 28, 28) : x.Reshape(x.Dim(0), 784));
    }

    /// <summary>Decoder logits d(z): [N, 784] (MLP) or [N, 1, 28, 28] (conv).</summary>
    public Tensor DecodeLogits(Tensor z) => decoder.Forward(z);

    /// <summary>x̂ = σ(d(z)) in [0, 1].</summary>
    public Tensor Decode(Tensor z) => DecodeLogits(z).Sigmoid();

    /// <summary>Reconstruction of x, shaped like x.</summary>
    public override Tensor Forward(Tensor x) => Decode(Encode(x)).Reshape(x.Shape);

    /// <summary>Reconstruction loss: BCE between σ(d(e(x))) and x, summed over pixels, averaged over the batch.</summary>
    public Tensor Loss(Tensor x)
    {
        var logits = DecodeLogits(Encode(x)).Reshape(x.Shape);
        return BernoulliLoss.SumPerSample(logits, x);
    }

    /// <summary>One optimization step on a batch; returns the loss (per image).</summary>
    public float TrainStep(Optimizer optimizer, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        using var scope = TensorScope.Begin();  // the step's activations and gradients are reused by the next step
        var loss = Loss(x);
        ZeroGrad();
        loss.Backward();
        optimizer.Step();
        return loss.Item();
    }

    /// <summary>Mean reconstruction loss per image over <paramref name="x"/> (no gradients).</summary>
    public double Evaluate(Tensor x, int batch = 1000)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), $"Autoencoder.Evaluate: batch must be positive, got {batch}");
        using var _ = Tensor.NoGrad();
        int n = x.Dim(0);
        double total = 0;
        for (int i = 0; i < n; i += batch)
        {
            int m = Math.Min(batch, n - i);
            using var scope = TensorScope.Begin();
            total += Loss(x.Slice(0, i, i + m)).Item() * m;
        }
        return n == 0 ? 0 : total / n;
    }

    /// <summary>Checkpoint metadata from which <see cref="FromMetadata"/> rebuilds this architecture.</summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["model"] = "ae",
        ["arch"] = Architecture,
        ["latent"] = LatentDim.ToString(CultureInfo.InvariantCulture),
        ["hidden"] = hidden.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Rebuilds the (untrained) architecture a checkpoint's metadata describes.</summary>
    public static Autoencoder FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue("model", out var model) || model != "ae")
            throw new InvalidDataException($"Autoencoder: the checkpoint's metadata does not describe an autoencoder (model = '{model ?? "(none)"}')");
        var arch = metadata.TryGetValue("arch", out var a) ? a : "";
        if (arch != "mlp" && arch != "conv") throw new InvalidDataException($"Autoencoder: unknown architecture '{arch}' in the checkpoint's metadata");
        return new Autoencoder(arch == "conv", VariationalAutoencoder.ReadInt(metadata, "latent"), VariationalAutoencoder.ReadInt(metadata, "hidden"), new Generator(0));
    }
}

/// <summary>Reshapes [N, F] to [N, ...shape] (PyTorch's nn.Unflatten on dim 1).</summary>
public sealed class Unflatten : Module
{
    readonly int[] shape;

    public Unflatten(params int[] shape)
    {
        if (shape.Length == 0 || Array.Exists(shape, d => d <= 0))
            throw new ArgumentException($"Unflatten: the shape must be non-empty with positive sizes, got {ShapeMath.Format(shape)}");
        this.shape = (int[])shape.Clone();
    }

    public override Tensor Forward(Tensor x)
    {
        int size = 1;
        foreach (int d in shape) size *= d;
        if (x.Rank != 2 || x.Dim(1) != size)
            throw new ArgumentException($"Unflatten({string.Join(", ", shape)}): input of shape {ShapeMath.Format(x.Shape)} must be [N, {size}]");
        var s = new int[shape.Length + 1];
        s[0] = x.Dim(0);
        shape.CopyTo(s, 1);
        return x.Reshape(s);
    }
}
