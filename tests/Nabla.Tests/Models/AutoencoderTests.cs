using Nabla.Data;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Tests.Models;

public class AutoencoderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShapesAndLoss(bool conv)
    {
        var ae = new Autoencoder(conv, latent: 6, gen: new Generator(1));
        Assert.Equal(conv ? "conv" : "mlp", ae.Architecture);
        var x = ModelTestData.Images(4).Inputs;
        Assert.Equal(new[] { 4, 6 }, ae.Encode(x).Shape);
        var y = ae.Forward(x);
        Assert.Equal(x.Shape, y.Shape);
        Assert.All(y.ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(new[] { 4, 784 }, ae.Forward(x.Reshape(4, 784)).Shape);
        var loss = ae.Loss(x).Item();
        Assert.True(float.IsFinite(loss) && loss > 0);
        // the loss is BCE(σ(d(e(x))), x) summed over pixels, per image
        double bce = 0;
        var p = y.ToArray(); var t = x.ToArray();
        for (int i = 0; i < p.Length; i++) bce -= t[i] * Math.Log(p[i]) + (1 - t[i]) * Math.Log(1 - p[i]);
        Assert.Equal(bce / 4, loss, 1e-3 * loss);
    }

    [Theory]
    [InlineData(false, 256, 64, 12)]
    [InlineData(true, 16, 16, 5)]
    public void ShortTrainingLowersTheReconstructionLoss(bool conv, int n, int batch, int steps)
    {
        var data = ModelTestData.Images(n);
        var ae = new Autoencoder(conv, latent: 8, gen: new Generator(2));
        double before = ae.Evaluate(data.Inputs);
        var opt = new Adam(ae.Parameters(), lr: 3e-3);
        var loader = new DataLoader(data, batch, shuffle: true, generator: new Generator(3));
        for (int s = 0; s < steps;)
            foreach (var b in loader)
            {
                if (s++ == steps) break;
                ae.TrainStep(opt, b.X);
            }
        double after = ae.Evaluate(data.Inputs);
        Assert.True(after < 0.8 * before, $"conv={conv}: {before} → {after}");
    }

    [Fact]
    public void GradientsCheckThroughTheConvolutionalAutoencoder()
    {
        var ae = new Autoencoder(true, latent: 2, gen: new Generator(3));
        var x = Tensor.Rand(new Generator(4), 1, 1, 28, 28);
        // the biases of the first convolution, the latent head and the last transposed convolution: gradients flow
        // through every layer of the network (the weights would need thousands of finite differences). Looser than
        // the per-op checks (2e-3): a bias step moves thousands of ReLU inputs, some of which cross 0 within the step,
        // and the float32 scalar loss (≈ 550) rounds at ≈ 6e-5. The mismatch shrinks as h does (0.028, 0.014, 0.010
        // at h = 3e-3, 1e-3, 3e-4 on the logits), as crossed kinks do, not as a wrong rule would.
        var p = ae.NamedParameters().ToDictionary(kv => kv.Key, kv => kv.Value);
        var r = GradCheck.Check(_ => ae.Loss(x), new[] { p["encoder.0.bias"], p["encoder.5.bias"], p["decoder.5.bias"] }, 1e-2f, 3e-2);
        Assert.True(r.Ok, r.ToString());
    }

    [Fact]
    public void MetadataRoundTripAndErrors()
    {
        var ae = new Autoencoder(true, latent: 7, gen: new Generator(0));
        var copy = Autoencoder.FromMetadata(ae.Metadata());
        Assert.Equal("conv", copy.Architecture);
        Assert.Equal(7, copy.LatentDim);
        Assert.Equal(ae.StateDict().Keys, copy.StateDict().Keys);
        Assert.Throws<InvalidDataException>(() => Autoencoder.FromMetadata(new Dictionary<string, string> { ["model"] = "vae" }));
        Assert.Throws<ArgumentException>(() => new Autoencoder(latent: 0));
        Assert.Contains("784", Assert.Throws<ArgumentException>(() => ae.Encode(Tensor.Zeros(2, 3, 28, 28))).Message);
        Assert.Throws<ArgumentException>(() => new Unflatten());
        Assert.Contains("[N, 12]", Assert.Throws<ArgumentException>(() => new Unflatten(3, 4).Forward(Tensor.Zeros(2, 13))).Message);
        Assert.Equal(new[] { 2, 3, 4 }, new Unflatten(3, 4).Forward(Tensor.Zeros(2, 12)).Shape);
    }
}
