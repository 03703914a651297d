using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.Optim;

namespace Nabla.Tests.Models;

public class VaeTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    [Fact]
    public void MlpVaeMatchesPyTorchLossAndGradients()
    {
        // tests/fixtures/gen/vae.py: sigmoid → binary_cross_entropy(sum) + KL, / N; we use BCE with logits (same up to
        // PyTorch's log clamp at −100, never reached here).
        var f = SafeTensorFile.Read(Fixture("vae.safetensors"));
        var x = f.GetTensor("input.x");
        var eps = f.GetTensor("input.eps");
        int d = x.Dim(1), z = eps.Dim(1), h = f.GetShape("param.enc.weight")[0];
        var model = new MlpVae(d, h, z, new Generator(0));
        var state = model.StateDict().Keys.ToDictionary(k => k, k => f.GetTensor("param." + k));
        model.LoadStateDict(state);

        var t = model.Elbo(x, eps);
        t.Loss.Backward();
        AssertClose(f.GetTensor("output.loss").Item(), t.Loss.Item(), 1e-5);
        AssertClose(f.GetTensor("output.recon").Item(), t.Reconstruction.Item(), 1e-5);
        AssertClose(f.GetTensor("output.kl").Item(), t.Kl.Item(), 1e-5);
        Assert.True(f.GetTensor("output.kl").Item() > 0.5f, "the fixture's KL term should not be negligible");
        var (mu, logVar) = model.Encode(x);
        AssertAllClose(f.GetTensor("output.mu"), mu, 1e-5);
        AssertAllClose(f.GetTensor("output.logvar"), logVar, 1e-5);
        foreach (var (name, p) in model.NamedParameters())
            AssertAllClose(f.GetTensor("grad." + name), p.Grad!, 1e-5, name);
    }

    static void AssertClose(double expected, double actual, double rel) =>
        Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    static void AssertAllClose(Tensor expected, Tensor actual, double rel, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray();
        var a = actual.ToArray();
        double scale = e.Max(v => Math.Abs((double)v));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= rel * Math.Max(1e-3, scale) + 1e-7, $"{what}[{i}]: expected {e[i]}, got {a[i]} (max |expected| {scale})");
    }

    [Fact]
    public void ReparameterizationGradientsCheck()
    {
        var eps = Tensor.Randn(new Generator(1), 3, 4);
        var mu = Tensor.Randn(new Generator(2), 3, 4);
        var logVar = Tensor.Randn(new Generator(3), 3, 4) * 0.5f;
        var r = GradCheck.Check(t => VariationalAutoencoder.Reparameterize(t[0], t[1], eps), new[] { mu, logVar });
        Assert.True(r.Ok, r.ToString());
        // ∂z/∂μ = 1, ∂z/∂log σ² = ½ σ ε exactly
        mu.ZeroGrad(); logVar.ZeroGrad();
        VariationalAutoencoder.Reparameterize(mu, logVar, eps).Sum().Backward();
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(1f, mu.Grad!.Data[i], 6);
            Assert.Equal(0.5f * MathF.Exp(0.5f * logVar.Data[i]) * eps.Data[i], logVar.Grad!.Data[i], 5);
        }
    }

    [Fact]
    public void ElboGradientsCheckOnATinyVae()
    {
        var model = new MlpVae(6, 5, 2, new Generator(4));
        var x = Tensor.Rand(new Generator(5), 3, 6);
        var eps = Tensor.Randn(new Generator(6), 3, 2);
        var w = model.NamedParameters().Select(p => p.Value).ToArray();
        // h = 3e-3: at 1e-2 one hidden ReLU input lies within the step of 0 (autodiff 0 vs finite difference −0.0034)
        var r = GradCheck.Check(_ => model.Elbo(x, eps).Loss, w, h: 3e-3f);
        Assert.True(r.Ok, r.ToString());
    }

    [Theory]
    [InlineData("mlp", 20)]
    [InlineData("conv", 16)]
    public void ShapesAndElboTerms(string arch, int latent)
    {
        var model = VariationalAutoencoder.Create(arch, null, new Generator(1));
        Assert.Equal(latent, model.LatentDim);
        Assert.Equal(arch, model.Architecture);
        var x = arch == "mlp" ? ModelTestData.Flat(5).Inputs : ModelTestData.Images(5).Inputs;
        var (mu, logVar) = model.Encode(x);
        Assert.Equal(new[] { 5, latent }, mu.Shape);
        Assert.Equal(new[] { 5, latent }, logVar.Shape);
        Assert.Equal(x.Size, model.DecodeLogits(mu).Size);
        Assert.Equal(x.Shape, model.Forward(x).Shape);
        var t = model.Elbo(x, new Generator(2));
        Assert.True(float.IsFinite(t.Loss.Item()) && float.IsFinite(t.Reconstruction.Item()));
        Assert.True(t.Kl.Item() >= 0);
        Assert.True(t.Reconstruction.Item() > 0);
        Assert.Equal(t.Reconstruction.Item() + t.Kl.Item(), t.Loss.Item(), 3);
        var s = model.Sample(7, new Generator(3));
        Assert.Equal(new[] { 7, 1, 28, 28 }, s.Shape);
        Assert.All(s.ToArray(), v => Assert.InRange(v, 0f, 1f));
        var strip = model.Interpolate(x.Slice(0, 0, 1).Squeeze(0), x.Slice(0, 1, 2).Squeeze(0), 4);
        Assert.Equal(new[] { 4, 1, 28, 28 }, strip.Shape);
        using (Tensor.NoGrad())
        {
            var end = model.Decode(model.Encode(x.Slice(0, 1, 2)).Mu).ToArray();
            var last = strip.Slice(0, 3, 4).ToArray();
            for (int i = 0; i < end.Length; i++) Assert.Equal(end[i], last[i], 4);
        }
    }

    [Theory]
    [InlineData("mlp", 256, 64, 12)]
    [InlineData("conv", 16, 16, 8)]
    public void ShortTrainingLowersNegativeElbo(string arch, int n, int batch, int steps)
    {
        var data = arch == "mlp" ? ModelTestData.Flat(n) : ModelTestData.Images(n);
        var model = VariationalAutoencoder.Create(arch, 8, new Generator(1));
        var before = model.Evaluate(data.Inputs, new Generator(9));
        var opt = new Adam(model.Parameters(), lr: 3e-3);
        var noise = new Generator(2);
        var loader = new DataLoader(data, batch, shuffle: true, generator: new Generator(3));
        for (int s = 0; s < steps;)
            foreach (var b in loader)
            {
                if (s++ == steps) break;
                var v = model.TrainStep(opt, b.X, noise);
                Assert.True(double.IsFinite(v.NegativeElbo) && v.Kl >= 0, $"{v}");
            }
        var after = model.Evaluate(data.Inputs, new Generator(9));
        Assert.True(after.NegativeElbo < 0.8 * before.NegativeElbo, $"{arch}: −ELBO {before.NegativeElbo} → {after.NegativeElbo}");
        Assert.Equal(-after.NegativeElbo, after.Elbo);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    public void CheckpointMetadataRebuildsTheModel(string arch)
    {
        var model = VariationalAutoencoder.Create(arch, 5, new Generator(1));
        var path = Path.Combine(Path.GetTempPath(), $"nabla-vae-{arch}-{Environment.ProcessId}.safetensors");
        try
        {
            model.SaveSafetensors(path, model.Metadata());
            var file = SafeTensorFile.Read(path);
            var copy = VariationalAutoencoder.FromMetadata(file.Metadata);
            copy.LoadStateDict(file.ReadAll());
            Assert.Equal(arch, copy.Architecture);
            Assert.Equal(5, copy.LatentDim);
            var a = model.Sample(3, new Generator(4)).ToArray();
            var b = copy.Sample(3, new Generator(4)).ToArray();
            Assert.Equal(a, b);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        var m = new MlpVae(gen: new Generator(0));
        Assert.Contains("784", Assert.Throws<ArgumentException>(() => m.Encode(Tensor.Zeros(2, 100))).Message);
        Assert.Throws<ArgumentException>(() => m.Interpolate(Tensor.Zeros(784), Tensor.Zeros(784), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Sample(0, new Generator(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Evaluate(Tensor.Zeros(2, 784), new Generator(0), 0));
        Assert.Contains("eps", Assert.Throws<ArgumentException>(() => VariationalAutoencoder.Reparameterize(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), Tensor.Zeros(2, 4))).Message);
        Assert.Throws<ArgumentException>(() => VariationalAutoencoder.Create("gan"));
        Assert.Throws<ArgumentException>(() => new MlpVae(latent: 0));
        Assert.Throws<ArgumentException>(() => new ConvVae(0));
        Assert.Throws<InvalidDataException>(() => VariationalAutoencoder.FromMetadata(new Dictionary<string, string> { ["model"] = "ae" }));
        Assert.Throws<InvalidDataException>(() => VariationalAutoencoder.FromMetadata(new Dictionary<string, string> { ["model"] = "vae", ["arch"] = "mlp", ["latent"] = "-3" }));
    }
}
