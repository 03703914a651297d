using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// A small CNN that classifies 28×28×1 images in [−1, 1] (Fashion-MNIST): conv3×3(1→16) ReLU maxpool2 →
/// conv3×3(16→32) ReLU maxpool2 → flatten → fc1(1568→128) ReLU (the <see cref="Features"/>) → fc2(128→10).
/// Used to score generated samples: the share classified as the requested class, and the Fréchet distance between
/// sample and test-image features.
/// </summary>
public sealed class FashionClassifier : Module
{
    public const int FeatureDim = 128;
    readonly Conv2d conv1, conv2;
    readonly Linear fc1, fc2;

    public FashionClassifier(int numClasses = 10, Generator? gen = null)
    {
        conv1 = RegisterModule("conv1", new Conv2d(1, 16, 3, padding: 1, gen: gen));
        conv2 = RegisterModule("conv2", new Conv2d(16, 32, 3, padding: 1, gen: gen));
        fc1 = RegisterModule("fc1", new Linear(32 * 7 * 7, FeatureDim, gen: gen));
        fc2 = RegisterModule("fc2", new Linear(FeatureDim, numClasses, gen: gen));
    }

    /// <summary>The 128 penultimate activations of x [B, 1, 28, 28].</summary>
    public Tensor Features(Tensor x)
    {
        if (x.Rank != 4 || x.Dim(1) != 1 || x.Dim(2) != 28 || x.Dim(3) != 28)
            throw new ArgumentException($"FashionClassifier: input {ShapeMath.Format(x.Shape)} must be [B, 1, 28, 28]");
        var h = Functional.MaxPool2d(conv1.Forward(x).Relu(), 2);
        h = Functional.MaxPool2d(conv2.Forward(h).Relu(), 2);
        return fc1.Forward(h.Reshape(x.Dim(0), 32 * 7 * 7)).Relu();
    }

    /// <summary>Class logits [B, 10].</summary>
    public override Tensor Forward(Tensor x) => fc2.Forward(Features(x));

    /// <summary>Features and predicted classes of many images, in batches, without gradients.</summary>
    public (Tensor Features, int[] Predictions) Evaluate(Tensor images, int batch = 500)
    {
        int n = images.Dim(0), per = images.Size / Math.Max(n, 1);
        var feats = new float[n * FeatureDim]; var pred = new int[n];
        using var _ = Tensor.NoGrad();
        Eval();
        for (int s = 0; s < n; s += batch)
        {
            int b = Math.Min(batch, n - s);
            using var scope = TensorScope.Begin();
            var x = new Tensor(images.Data.Slice(s * per, b * per).ToArray(), b, 1, 28, 28);
            var f = Features(x);
            f.Data.CopyTo(feats.AsSpan(s * FeatureDim));
            var am = fc2.Forward(f).ArgMax(1).Data;
            for (int i = 0; i < b; i++) pred[s + i] = (int)am[i];
        }
        return (new Tensor(feats, n, FeatureDim), pred);
    }

    /// <summary>Trains a classifier with Adam (lr 1e-3, batch 128) for <paramref name="epochs"/> passes over shuffled data.</summary>
    /// <param name="progress">Called with (step, total steps, loss).</param>
    public static FashionClassifier Train(Tensor images, int[] labels, int epochs, Generator gen, CancellationToken ct = default, Action<int, int, float>? progress = null)
    {
        if (images.Rank != 4 || images.Dim(0) != labels.Length) throw new ArgumentException($"FashionClassifier.Train: {labels.Length} labels for images {ShapeMath.Format(images.Shape)}");
        var model = new FashionClassifier(10, gen.Fork(1));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        int n = labels.Length, batch = 128, per = images.Size / n, stepsPerEpoch = (n + batch - 1) / batch, step = 0;
        model.Train();
        for (int e = 0; e < epochs; e++)
        {
            var perm = gen.Permutation(n);
            for (int s = 0; s < n; s += batch)
            {
                ct.ThrowIfCancellationRequested();
                int b = Math.Min(batch, n - s);
                var x = new float[b * per]; var y = new int[b];
                for (int i = 0; i < b; i++) { images.Data.Slice(perm[s + i] * per, per).CopyTo(x.AsSpan(i * per)); y[i] = labels[perm[s + i]]; }
                opt.ZeroGrad();
                using var scope = TensorScope.Begin();  // the step's activations and gradients are reused by the next step
                var loss = Functional.CrossEntropy(model.Forward(new Tensor(x, b, 1, 28, 28)), y);
                loss.Backward();
                opt.Step();
                progress?.Invoke(++step, epochs * stepsPerEpoch, loss.Item());
            }
        }
        model.Eval();
        return model;
    }
}
