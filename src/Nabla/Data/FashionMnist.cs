namespace Nabla.Data;

/// <summary>Where Fashion-MNIST (or any MNIST-layout IDX data set) was found.</summary>
/// <param name="Directory">The folder holding the IDX files.</param>
/// <param name="HasTrainSplit">True when the folder has a training split; otherwise the test split is divided (see <see cref="FashionMnist.SplitTestOnly"/>).</param>
/// <param name="Description">Where it came from, for logs ("folder DIR", "system (…)", "embedded test split").</param>
public sealed record DatasetSource(string Directory, bool HasTrainSplit, string Description);

/// <summary>A training and an evaluation set and where they came from.</summary>
public sealed record TrainTestData(LabeledDataset Train, LabeledDataset Test, DatasetSource Source);

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT): 28×28 grey images of 10 clothing classes, 60,000 for training and
/// 10,000 for test, in IDX files. Also reads MNIST, KMNIST and other folders with the same file layout.
/// </summary>
/// <remarks>
/// Data location (<see cref="Locate"/>): an explicit folder, else
/// <see cref="SystemDirectory"/> (Debian's <c>dataset-fashion-mnist</c>, full training set) when it exists,
/// else the test split embedded with Nabla (<see cref="EmbeddedDirectory"/>). With only a test split, the
/// first 90% of it trains and the last 10% evaluates: for the embedded data, the first 9,000 images train
/// and the last 1,000 evaluate.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Class names by label 0–9.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>Image side (28) and pixels per image (784).</summary>
    public const int Side = 28, Pixels = Side * Side;

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the full data set.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The embedded test split, copied next to the binaries (data/fashion-mnist).</summary>
    public static string EmbeddedDirectory => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist");

    /// <summary>Images of the embedded (10,000-image) test split used for training when nothing else is available; the last 1,000 evaluate.</summary>
    public const int EmbeddedTrainCount = 9000;

    /// <summary>
    /// Resolves the data folder: <paramref name="dir"/> when given (it must hold at least a test split), else
    /// <see cref="SystemDirectory"/> if it exists, else <see cref="EmbeddedDirectory"/>.
    /// </summary>
    public static DatasetSource Locate(string? dir = null)
    {
        if (dir is not null)
        {
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"FashionMnist: data folder '{dir}' does not exist");
            if (FindFile(dir, test: true, labels: false) is null && FindFile(dir, test: false, labels: false) is null)
                throw new FileNotFoundException($"FashionMnist: '{dir}' holds no IDX image files (expected train-images-idx3-ubyte[.gz] and/or t10k-images-idx3-ubyte[.gz])");
            return new DatasetSource(dir, HasSplit(dir, test: false), $"folder {dir}");
        }
        if (HasSplit(SystemDirectory, test: true))
            return new DatasetSource(SystemDirectory, HasSplit(SystemDirectory, test: false), $"system ({SystemDirectory})");
        string embedded = EmbeddedDirectory;
        if (HasSplit(embedded, test: true))
            return new DatasetSource(embedded, HasSplit(embedded, test: false), "embedded test split (first 9,000 train, last 1,000 evaluate)");
        throw new FileNotFoundException($"FashionMnist: no data found: pass a folder of IDX files, install Debian's dataset-fashion-mnist ({SystemDirectory}), or keep the embedded data in {embedded}");
    }

    static bool HasSplit(string dir, bool test) =>
        Directory.Exists(dir) && FindFile(dir, test, labels: false) is not null && FindFile(dir, test, labels: true) is not null;

    /// <summary>
    /// The IDX file of a split in <paramref name="dir"/>: the standard names (<c>train-images-idx3-ubyte</c>,
    /// <c>t10k-labels-idx1-ubyte</c>, with or without <c>.gz</c>, or with '.' before idx as some MNIST mirrors),
    /// else any file whose name has the split (train / t10k / test), the kind (images / labels) and "idx".
    /// </summary>
    public static string? FindFile(string dir, bool test, bool labels)
    {
        if (!Directory.Exists(dir)) return null;
        string kind = labels ? "labels" : "images", idx = labels ? "idx1-ubyte" : "idx3-ubyte";
        foreach (var split in test ? new[] { "t10k", "test" } : new[] { "train" })
            foreach (var sep in new[] { "-", "." })
                foreach (var ext in new[] { ".gz", "" })
                {
                    var p = Path.Combine(dir, $"{split}-{kind}{sep}{idx}{ext}");
                    if (File.Exists(p)) return p;
                }
        var candidates = Directory.GetFiles(dir)
            .Where(f =>
            {
                var n = Path.GetFileName(f).ToLowerInvariant();
                bool splitOk = test ? n.Contains("t10k") || n.Contains("test") : n.Contains("train");
                bool kindOk = labels ? n.Contains("labels") : n.Contains("images") || n.Contains("imgs");
                return splitOk && kindOk && n.Contains("idx");
            })
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        return candidates.FirstOrDefault();
    }

    /// <summary>
    /// Loads one split from <paramref name="dir"/>: images as floats in [0, 1] shaped [N, 1, 28, 28] (or [N, 784]
    /// with <paramref name="flatten"/>), labels as ints. Checks that images and labels agree in count.
    /// </summary>
    public static LabeledDataset LoadSplit(string dir, bool test, bool flatten = false)
    {
        string split = test ? "test" : "train";
        var imagesPath = FindFile(dir, test, labels: false) ?? throw new FileNotFoundException($"FashionMnist: no {split} images in '{dir}'");
        var labelsPath = FindFile(dir, test, labels: true) ?? throw new FileNotFoundException($"FashionMnist: no {split} labels in '{dir}'");
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        var ishape = images.Shape;
        if (images.DataType != IdxDataType.UInt8 || ishape.Length != 3)
            throw new IdxFormatException(imagesPath, "dimensions", $"expected u8 images [N, H, W], found {images.DataType} {ShapeMath.Format(ishape)}");
        if (labels.Shape.Length != 1 || labels.DataType != IdxDataType.UInt8)
            throw new IdxFormatException(labelsPath, "dimensions", $"expected u8 labels [N], found {labels.DataType} {ShapeMath.Format(labels.Shape)}");
        int n = ishape[0];
        if (labels.Count != n)
            throw new IdxFormatException(labelsPath, "dimensions", $"{labels.Count} labels for the {n} images of '{imagesPath}'");
        var shape = flatten ? new[] { n, ishape[1] * ishape[2] } : new[] { n, 1, ishape[1], ishape[2] };
        return new LabeledDataset(images.ToTensor(255f, shape), labels.ToInt32());
    }

    /// <summary>Divides a test-only split: the first N − N/10 samples train, the last N/10 evaluate (9,000 / 1,000 for the embedded data).</summary>
    public static (LabeledDataset Train, LabeledDataset Test) SplitTestOnly(LabeledDataset test)
    {
        ArgumentNullException.ThrowIfNull(test);
        int holdout = test.Count / 10;
        return (test.Slice(0, test.Count - holdout), test.Slice(test.Count - holdout, holdout));
    }

    /// <summary>
    /// Locates (see <see cref="Locate"/>) and loads training and evaluation data. Without a training split, the
    /// test split is divided by <see cref="SplitTestOnly"/>.
    /// </summary>
    public static TrainTestData Load(string? dir = null, bool flatten = false)
    {
        var source = Locate(dir);
        if (source.HasTrainSplit)
        {
            var train = LoadSplit(source.Directory, test: false, flatten);
            var test = HasSplit(source.Directory, test: true)
                ? LoadSplit(source.Directory, test: true, flatten)
                : throw new FileNotFoundException($"FashionMnist: '{source.Directory}' has a training split but no test split");
            return new TrainTestData(train, test, source);
        }
        var (tr, te) = SplitTestOnly(LoadSplit(source.Directory, test: true, flatten));
        return new TrainTestData(tr, te, source);
    }
}
