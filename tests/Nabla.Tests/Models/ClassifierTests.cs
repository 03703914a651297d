using Nabla.Data;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Models;

public class ClassifierTests
{
    [Fact]
    public void MlpHasTheWorkloadShapeAndPyTorchNames()
    {
        var m = Classifier.Mlp(new Generator(1));
        Assert.Equal(784L * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10, m.ParameterCount());
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias" }, m.StateDict().Keys);
        Assert.Equal(new[] { 3, 10 }, m.Forward(Tensor.Rand(new Generator(2), 3, 784)).Shape);
    }

    [Fact]
    public void CnnHasTheWorkloadShapeAndPyTorchNames()
    {
        var m = Classifier.Cnn(new Generator(1));
        // 3 bias-free convolutions, 3 BatchNorms (γ, β), linear 3136→10 (as ref/cnn.py)
        Assert.Equal(32 * 9 + 64 * 32 * 9 + 64 * 64 * 9 + 2 * (32 + 64 + 64) + 3136 * 10 + 10, m.ParameterCount());
        var keys = m.StateDict().Keys.ToList();
        Assert.Contains("0.weight", keys);
        Assert.DoesNotContain("0.bias", keys);
        Assert.Contains("1.running_mean", keys);
        Assert.Contains("7.num_batches_tracked", keys);
        Assert.Contains("10.weight", keys);
        Assert.Equal(new[] { 2, 10 }, m.Forward(Tensor.Rand(new Generator(2), 2, 1, 28, 28)).Shape);
    }

    [Theory]
    [InlineData("mlp", 256, 64, 12)]
    [InlineData("cnn", 16, 16, 5)]
    public void ShortTrainingOnEmbeddedImagesLowersTheLoss(string arch, int n, int batch, int steps)
    {
        var data = Classifier.TakesFlatInput(arch) ? ModelTestData.Flat(n) : ModelTestData.Images(n);
        var model = Classifier.Create(arch, new Generator(3));
        float Loss()
        {
            using var _ = Tensor.NoGrad();   // training mode: BatchNorm normalizes with the batch's statistics
            return Functional.CrossEntropy(model.Forward(data.Inputs), data.Labels).Item();
        }
        float before = Loss();
        var opt = new Adam(model.Parameters(), lr: 3e-3);
        var loader = new DataLoader(data, batch, shuffle: true, generator: new Generator(4));
        for (int s = 0; s < steps;)
            foreach (var b in loader)
            {
                if (s++ == steps) break;
                Classifier.TrainStep(model, opt, b.X, b.Labels, out int correct);
                Assert.InRange(correct, 0, b.Count);
            }
        float after = Loss();
        Assert.True(float.IsFinite(after));
        Assert.True(after < 0.8f * before, $"{arch}: loss over the images {before} → {after}");
    }

    [Fact]
    public void PredictKeepsTheTrainingModeAndAccuracyCountsArgMax()
    {
        var m = Classifier.Cnn(new Generator(1));
        m.Train();
        Classifier.Predict(m, Tensor.Rand(new Generator(2), 3, 1, 28, 28), batch: 2);
        Assert.True(m.Training);
        var logits = Tensor.FromArray(new float[] { 0, 2, 1, 5, 0, 0, 1, 1, 0 }, 3, 3);
        Assert.Equal(3, Classifier.CountCorrect(logits, new[] { 1, 0, 0 }));   // ties go to the first
        Assert.Equal(2, Classifier.CountCorrect(logits, new[] { 1, 0, 1 }));
        Assert.Equal(0, Classifier.CountCorrect(logits, new[] { 2, 2, 2 }));
    }

    [Fact]
    public void MetadataNamesTheArchitecture()
    {
        Assert.Equal("cnn", Classifier.ArchitectureOf(Classifier.Metadata("CNN")));
        Assert.Null(Classifier.ArchitectureOf(new Dictionary<string, string> { ["model"] = "vae", ["arch"] = "mlp" }));
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        Assert.Contains("resnet", Assert.Throws<ArgumentException>(() => Classifier.Create("resnet")).Message);
        Assert.Throws<ArgumentException>(() => Classifier.TakesFlatInput("vit"));
        Assert.Throws<ArgumentException>(() => Classifier.CountCorrect(Tensor.Zeros(2, 3), new[] { 0 }));
    }
}
