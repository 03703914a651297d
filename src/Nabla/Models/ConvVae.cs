using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// Convolutional VAE for 1×28×28 images: enc conv(1→32, k4 s2 p1) 14×14 ReLU → conv(32→64, k4 s2 p1) 7×7 ReLU →
/// (mu, logvar: 3136→Z); dec Z→3136 ReLU → convT(64→32, k4 s2 p1) 14×14 ReLU → convT(32→1, k4 s2 p1) 28×28 logits.
/// </summary>
public sealed class ConvVae : VariationalAutoencoder
{
    readonly Conv2d enc1, enc2;
    readonly Linear mu, logvar, dec;
    readonly ConvTranspose2d up1, up2;
    public override int LatentDim { get; }
    public override string Architecture => "conv";

    public ConvVae(int latent = 16, Generator? gen = null)
    {
        if (latent <= 0) throw new ArgumentException($"ConvVae: latent size must be positive, got {latent}");
        LatentDim = latent;
        enc1 = RegisterModule("enc1", new Conv2d(1, 32, 4, stride: 2, padding: 1, gen: gen));
        enc2 = RegisterModule("enc2", new Conv2d(32, 64, 4, stride: 2, padding: 1, gen: gen));
        mu = RegisterModule("mu", new Linear(64 * 7 * 7, latent, gen: gen));
        logvar = RegisterModule("logvar", new Linear(64 * 7 * 7, latent, gen: gen));
        dec = RegisterModule("dec", new Linear(latent, 64 * 7 * 7, gen: gen));
        up1 = RegisterModule("up1", new ConvTranspose2d(64, 32, 4, stride: 2, padding: 1, gen: gen));
        up2 = RegisterModule("up2", new ConvTranspose2d(32, 1, 4, stride: 2, padding: 1, gen: gen));
    }

    public override (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        var h = enc2.Forward(enc1.Forward(x.Reshape(x.Dim(0), 1, 28, 28)).Relu()).Relu().Flatten(1);
        return (mu.Forward(h), logvar.Forward(h));
    }

    public override Tensor DecodeLogits(Tensor z)
    {
        var h = dec.Forward(z).Relu().Reshape(z.Dim(0), 64, 7, 7);
        return up2.Forward(up1.Forward(h).Relu());
    }
}
