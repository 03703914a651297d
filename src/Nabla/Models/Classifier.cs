using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// Image classifiers for 28×28 Fashion-MNIST-like data (the `mlp` and `cnn` benchmark networks) and their
/// training loop: softmax cross-entropy, Adam, mini-batches.
/// </summary>
public static class Classifier
{
    /// <summary>
    /// 784-256-256-10 with ReLU (the `mlp` workload; parameter names 0/2/4 as PyTorch's nn.Sequential). Input [N, 784]
    /// (load the images flattened).
    /// </summary>
    public static Sequential Mlp(Generator? gen = null) => new(
        new Linear(784, 256, gen: gen), new ReLU(), new Linear(256, 256, gen: gen), new ReLU(), new Linear(256, 10, gen: gen));

    /// <summary>
    /// conv3x3(1→32)-BN-ReLU → conv3x3(32→64, s2)-BN-ReLU → conv3x3(64→64, s2)-BN-ReLU → flatten → linear(3136→10)
    /// (the `cnn` workload; convolutions have no bias because BatchNorm follows). Input [N, 1, 28, 28].
    /// </summary>
    public static Sequential Cnn(Generator? gen = null) => new(
        new Conv2d(1, 32, 3, stride: 1, padding: 1, bias: false, gen: gen), new BatchNorm2d(32), new ReLU(),
        new Conv2d(32, 64, 3, stride: 2, padding: 1, bias: false, gen: gen), new BatchNorm2d(64), new ReLU(),
        new Conv2d(64, 64, 3, stride: 2, padding: 1, bias: false, gen: gen), new BatchNorm2d(64), new ReLU(),
        new Flatten(), new Linear(64 * 7 * 7, 10, gen: gen));

    /// <summary>Builds a named architecture: "mlp" or "cnn".</summary>
    public static Sequential Create(string name, Generator? gen = null) => name?.ToLowerInvariant() switch
    {
        "mlp" => Mlp(gen),
        "cnn" => Cnn(gen),
        _ => throw new ArgumentException($"Classifier.Create: unknown architecture '{name}' (expected mlp or cnn)", nameof(name)),
    };

    /// <summary>Whether the named architecture takes flattened images [N, 784] (mlp) rather than [N, 1, 28, 28] (cnn).</summary>
    public static bool TakesFlatInput(string name) => name?.ToLowerInvariant() switch
    {
        "mlp" => true,
        "cnn" => false,
        _ => throw new ArgumentException($"Classifier: unknown architecture '{name}' (expected mlp or cnn)", nameof(name)),
    };

    /// <summary>Checkpoint metadata naming the architecture, read back by <see cref="ArchitectureOf"/>.</summary>
    public static Dictionary<string, string> Metadata(string name) => new() { ["model"] = "classifier", ["arch"] = name.ToLowerInvariant() };

    /// <summary>The architecture a checkpoint's metadata names, or null when it names none.</summary>
    public static string? ArchitectureOf(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("model", out var m) && m == "classifier" && metadata.TryGetValue("arch", out var a) ? a : null;

    /// <summary>One optimization step on a batch; returns the mean cross-entropy.</summary>
    public static float TrainStep(Module model, Optimizer opt, Tensor x, int[] labels) => TrainStep(model, opt, x, labels, out _);

    /// <summary>
    /// One optimization step on a batch: L = mean cross-entropy of the logits, gradients, one optimizer step.
    /// Returns L; <paramref name="correct"/> counts the batch's images whose arg-max logit (before the step) is the label.
    /// </summary>
    public static float TrainStep(Module model, Optimizer opt, Tensor x, int[] labels, out int correct)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(opt);
        using var scope = TensorScope.Begin();  // the step's activations and gradients are reused by the next step
        var logits = model.Forward(x);
        var loss = Functional.CrossEntropy(logits, labels);
        correct = CountCorrect(logits, labels);
        model.ZeroGrad();
        loss.Backward();
        opt.Step();
        return loss.Item();
    }

    /// <summary>Rows of logits [N, C] whose arg-max (first on ties) equals the label.</summary>
    public static int CountCorrect(Tensor logits, ReadOnlySpan<int> labels)
    {
        if (logits.Rank != 2 || logits.Dim(0) != labels.Length)
            throw new ArgumentException($"CountCorrect: logits of shape {ShapeMath.Format(logits.Shape)} must be [N, C] with N = {labels.Length} labels");
        int n = logits.Dim(0), c = logits.Dim(1), correct = 0;
        var d = logits.Data;
        for (int i = 0; i < n; i++)
        {
            var row = d.Slice(i * c, c);
            int best = 0;
            for (int k = 1; k < c; k++) if (row[k] > row[best]) best = k;
            if (best == labels[i]) correct++;
        }
        return correct;
    }

    /// <summary>Logits for a data set in eval mode, in chunks of <paramref name="batch"/>.</summary>
    public static Tensor Predict(Module model, Tensor x, int batch = 1000)
    {
        bool was = model.Training;
        model.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            int n = x.Dim(0);
            float[]? all = null;
            int[]? shape = null;
            for (int i = 0; i < n; i += batch)
            {
                // each chunk's activations go back to the pool for the next chunk; only its logits are copied out
                using var scope = TensorScope.Begin();
                var y = model.Forward(x.Slice(0, i, Math.Min(n, i + batch)));
                if (all == null)
                {
                    shape = y.Shape; shape[0] = n;
                    all = new float[ShapeMath.Size(shape)];
                }
                y.Data.CopyTo(all.AsSpan(i * (y.Size / Math.Max(1, y.Dim(0)))));
            }
            return all == null ? model.Forward(x) : new Tensor(all, shape!);
        }
        finally { model.Train(was); }
    }

    /// <summary>Share of images whose arg-max logit equals the label.</summary>
    public static double Accuracy(Module model, LabeledDataset data, int batch = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) return 0;
        return (double)CountCorrect(Predict(model, data.Inputs, batch), data.Labels) / data.Count;
    }
}
