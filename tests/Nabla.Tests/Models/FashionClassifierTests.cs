using Nabla.Models;

namespace Nabla.Tests.Models;

public class FashionClassifierTests
{
    [Fact]
    public void LearnsToSeparateTwoSimplePatterns()
    {
        // 32 images: class 0 bright top half, class 1 bright bottom half, plus noise
        var gen = new Generator(3);
        int n = 32;
        var x = new float[n * 784]; var y = new int[n];
        var noise = new float[n * 784]; gen.FillNormal(noise, 0, 0.3f);
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2;
            for (int p = 0; p < 784; p++) x[i * 784 + p] = ((p / 28 < 14) == (y[i] == 0) ? 0.8f : -0.8f) + noise[i * 784 + p];
        }
        var images = new Tensor(x, n, 1, 28, 28);
        var losses = new List<float>();
        var model = FashionClassifier.Train(images, y, 15, new Generator(4), default, (s, total, l) => losses.Add(l));
        Assert.Equal(15, losses.Count);   // one batch per epoch
        var (features, pred) = model.Evaluate(images, batch: 25);
        Assert.Equal(new[] { n, FashionClassifier.FeatureDim }, features.Shape);
        Assert.True(pred.Zip(y).Count(p => p.First == p.Second) >= 30, $"accuracy {pred.Zip(y).Count(p => p.First == p.Second)}/32");
        Assert.Throws<ArgumentException>(() => model.Features(Tensor.Zeros(2, 1, 14, 14)));
        Assert.Throws<ArgumentException>(() => FashionClassifier.Train(images, new int[3], 1, new Generator(0)));
    }
}
