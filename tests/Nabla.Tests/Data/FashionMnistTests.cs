using Nabla.Data;

namespace Nabla.Tests;

public class FashionMnistTests
{
    [Fact]
    public void ClassNamesFollowTheDataSet()
    {
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.Equal("Sandal", FashionMnist.ClassNames[5]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }

    [Fact]
    public void EmbeddedTestSplitLoadsWithKnownValues()
    {
        var dir = FashionMnist.EmbeddedDirectory;
        Assert.True(File.Exists(Path.Combine(dir, "LICENSE")));
        var test = FashionMnist.LoadSplit(dir, test: true);
        Assert.Equal(new[] { 10000, 1, 28, 28 }, test.Inputs.Shape);
        // reference values read with numpy from the same files
        Assert.Equal(new[] { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }, test.Labels.Take(10));
        Assert.Equal(new[] { 9, 1, 8, 1, 5 }, test.Labels.Skip(9995));
        for (int c = 0; c < 10; c++) Assert.Equal(1000, test.Labels.Count(l => l == c));
        var img0 = test.Inputs.Data[..784];
        double sum0 = 0;
        foreach (var v in img0) sum0 += v;
        Assert.Equal(33456 / 255.0, sum0, 3);
        Assert.Equal(98 / 255f, test.Inputs[0, 0, 14, 12], 6);
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Max<float>(test.Inputs.Data));
        Assert.Equal(0f, System.Numerics.Tensors.TensorPrimitives.Min<float>(test.Inputs.Data));

        var (train, eval) = FashionMnist.SplitTestOnly(test);
        Assert.Equal(FashionMnist.EmbeddedTrainCount, train.Count);
        Assert.Equal(1000, eval.Count);
        Assert.Equal(test.Labels.Skip(9000), eval.Labels);
        Assert.Equal(test.Inputs.Data.Slice(9000 * 784, 784).ToArray(), eval.Inputs.Data[..784].ToArray());
    }

    [Fact]
    public void LocateFallsBackToSystemThenEmbedded()
    {
        var s = FashionMnist.Locate();
        if (File.Exists(Path.Combine(FashionMnist.SystemDirectory, "t10k-images-idx3-ubyte.gz")))
        {
            Assert.Equal(FashionMnist.SystemDirectory, s.Directory);
            Assert.True(s.HasTrainSplit);
        }
        else
        {
            Assert.Equal(FashionMnist.EmbeddedDirectory, s.Directory);
            Assert.False(s.HasTrainSplit);
        }
        var e = FashionMnist.Locate(FashionMnist.EmbeddedDirectory);
        Assert.False(e.HasTrainSplit);
        Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate("/nonexistent/nabla-data"));
    }

    [Fact]
    public void ExplicitFolderWithMnistStyleNamesLoadsBothSplits()
    {
        var dir = Path.Combine(Path.GetTempPath(), "nabla-io-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var px = Enumerable.Range(0, 3 * 28 * 28).Select(i => (byte)(i % 256)).ToArray();
            Idx.WriteUInt8(Path.Combine(dir, "train-images.idx3-ubyte"), px, new[] { 3, 28, 28 });
            Idx.WriteUInt8(Path.Combine(dir, "train-labels.idx1-ubyte"), new byte[] { 0, 5, 9 }, new[] { 3 });
            Idx.WriteUInt8(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), px.AsSpan(0, 2 * 784), new[] { 2, 28, 28 }, gzip: true);
            Idx.WriteUInt8(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), new byte[] { 1, 2 }, new[] { 2 }, gzip: true);
            var d = FashionMnist.Load(dir, flatten: true);
            Assert.True(d.Source.HasTrainSplit);
            Assert.Equal(new[] { 3, 784 }, d.Train.Inputs.Shape);
            Assert.Equal(new[] { 0, 5, 9 }, d.Train.Labels);
            Assert.Equal(new[] { 2, 784 }, d.Test.Inputs.Shape);
            Assert.Equal(new[] { 1, 2 }, d.Test.Labels);
            Assert.Equal(255 / 255f, d.Train.Inputs[0, 255]);

            // labels that disagree with the images in count
            Idx.WriteUInt8(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), new byte[] { 1, 2, 3 }, new[] { 3 }, gzip: true);
            var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.LoadSplit(dir, test: true));
            Assert.Contains("t10k-labels", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
