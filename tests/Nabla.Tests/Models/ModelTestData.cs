using Nabla.Data;

namespace Nabla.Tests.Models;

/// <summary>The embedded Fashion-MNIST test split, loaded once for the model tests.</summary>
internal static class ModelTestData
{
    static readonly Lazy<LabeledDataset> images = new(() => FashionMnist.LoadSplit(FashionMnist.EmbeddedDirectory, test: true));

    /// <summary>The first <paramref name="n"/> embedded images [n, 1, 28, 28] in [0, 1] with their labels.</summary>
    public static LabeledDataset Images(int n) => images.Value.Slice(0, n);

    /// <summary>The same images flattened to [n, 784].</summary>
    public static LabeledDataset Flat(int n) => Images(n).Flattened();
}
