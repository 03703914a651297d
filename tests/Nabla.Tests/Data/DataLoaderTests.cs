using Nabla.Data;

namespace Nabla.Tests;

public class DataLoaderTests
{
    /// <summary>N samples of shape [2, 3]; sample i holds i*100 + j and has label i.</summary>
    static LabeledDataset Data(int n)
    {
        var x = new float[n * 6];
        for (int i = 0; i < n; i++) for (int j = 0; j < 6; j++) x[i * 6 + j] = i * 100 + j;
        return new LabeledDataset(new Tensor(x, n, 2, 3), Enumerable.Range(0, n).ToArray());
    }

    static void CheckConsistent(Batch b)
    {
        Assert.Equal(b.Count, b.X.Dim(0));
        Assert.Equal(new[] { b.Count, 2, 3 }, b.X.Shape);
        for (int i = 0; i < b.Count; i++)
            for (int j = 0; j < 6; j++) Assert.Equal(b.Labels[i] * 100 + j, b.X.Data[i * 6 + j]);
    }

    [Fact]
    public void FullBatchIsTheWholeSetInOrder()
    {
        var d = Data(10);
        var batches = DataLoader.FullBatch(d).ToList();
        Assert.Single(batches);
        Assert.Equal(Enumerable.Range(0, 10), batches[0].Labels);
        Assert.Equal(d.Inputs.ToArray(), batches[0].X.ToArray());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), batches[0].LabelTensor().ToArray());
    }

    [Fact]
    public void MiniBatchesCoverEverySampleOnceWithShortLastBatch()
    {
        var loader = new DataLoader(Data(10), 4, shuffle: true, generator: new Generator(3));
        Assert.Equal(3, loader.BatchCount);
        var batches = loader.ToList();
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b.Count));
        foreach (var b in batches) CheckConsistent(b);
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.Labels).Order());
        Assert.NotEqual(Enumerable.Range(0, 10), batches.SelectMany(b => b.Labels)); // shuffled
    }

    [Fact]
    public void DropLastSkipsTheShortBatch()
    {
        var loader = new DataLoader(Data(10), 4, shuffle: true, dropLast: true, generator: new Generator(3));
        Assert.Equal(2, loader.BatchCount);
        var batches = loader.ToList();
        Assert.Equal(new[] { 4, 4 }, batches.Select(b => b.Count));
        Assert.Equal(8, batches.SelectMany(b => b.Labels).Distinct().Count());
        Assert.Empty(new DataLoader(Data(3), 4, dropLast: true));
    }

    [Fact]
    public void BatchOfOneGivesEverySampleAlone()
    {
        var batches = new DataLoader(Data(5), 1).ToList();
        Assert.Equal(5, batches.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(new[] { i }, batches[i].Labels);
            CheckConsistent(batches[i]);
        }
    }

    [Fact]
    public void BatchLargerThanDataIsOneBatch()
    {
        var batches = new DataLoader(Data(3), 100).ToList();
        Assert.Single(batches);
        Assert.Equal(3, batches[0].Count);
    }

    [Fact]
    public void ShufflingIsSeededAndNewEachEpoch()
    {
        List<int> Epoch(DataLoader l) => l.SelectMany(b => b.Labels).ToList();
        var a = new DataLoader(Data(50), 8, shuffle: true, generator: new Generator(42));
        var b = new DataLoader(Data(50), 8, shuffle: true, generator: new Generator(42));
        var c = new DataLoader(Data(50), 8, shuffle: true, generator: new Generator(43));
        var a1 = Epoch(a); var a2 = Epoch(a);
        Assert.Equal(a1, Epoch(b));
        Assert.Equal(a2, Epoch(b));
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(a1, Epoch(c));
        Assert.Equal(2, a.Epoch);
        // without shuffling every epoch is in order
        var u = new DataLoader(Data(50), 8);
        Assert.Equal(Enumerable.Range(0, 50), Epoch(u));
        Assert.Equal(Enumerable.Range(0, 50), Epoch(u));
    }

    [Fact]
    public void ArgumentErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Data(3), 0));
        Assert.Throws<ArgumentNullException>(() => new DataLoader(null!, 1));
        Assert.Throws<ArgumentException>(() => new LabeledDataset(Tensor.Zeros(3, 2), new[] { 1, 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Data(3).Slice(2, 2));
    }

    [Fact]
    public void SliceAndFlattenKeepSamples()
    {
        var d = Data(6);
        var s = d.Slice(2, 3);
        Assert.Equal(new[] { 2, 3, 4 }, s.Labels);
        Assert.Equal(200f, s.Inputs.Data[0]);
        Assert.Equal(new[] { 6, 6 }, d.Flattened().Inputs.Shape);
        Assert.Equal(new[] { 2, 3 }, d.SampleShape);
    }
}
