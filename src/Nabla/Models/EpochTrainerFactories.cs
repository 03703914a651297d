using Nabla.Data;
using Nabla.Optim;

namespace Nabla.Models;

public sealed partial class EpochTrainer
{
    /// <summary>
    /// The Fashion-MNIST classifier <paramref name="architecture"/> (see <see cref="Models.Classifier.Create"/>) on
    /// softmax cross-entropy with Adam. Step metric "acc" (batch accuracy); evaluation "accuracy" on <paramref name="test"/>.
    /// </summary>
    public static EpochTrainer ForClassifier(string architecture, LabeledDataset train, LabeledDataset test, EpochTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string arch = architecture?.ToLowerInvariant()!;
        var root = new Generator(options.Seed);
        var net = Models.Classifier.Create(arch, root.Fork(1));
        var opt = new Adam(net.Parameters(), lr: options.LearningRate);
        var loader = new DataLoader(train, options.BatchSize, shuffle: true, generator: root.Fork(2));
        return new EpochTrainer(net, opt, loader,
            (b, _) =>
            {
                var logits = net.Forward(b.X);
                return new ShardPass(NN.Functional.CrossEntropy(logits, b.Labels), [("acc", (double)Models.Classifier.CountCorrect(logits, b.Labels) / b.Count)]);
            }, null,
            () => [("accuracy", Models.Classifier.Accuracy(net, test))],
            () => Models.Classifier.Metadata(arch), options);
    }

    /// <summary>
    /// A deterministic <see cref="Models.Autoencoder"/> (convolutional or MLP, latent size <paramref name="latent"/>) on
    /// the reconstruction BCE with Adam. Evaluation "reconstruction": the mean BCE per image on <paramref name="test"/>.
    /// </summary>
    public static EpochTrainer ForAutoencoder(bool convolutional, int latent, LabeledDataset train, LabeledDataset test, EpochTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var root = new Generator(options.Seed);
        var model = new Autoencoder(convolutional, latent, gen: root.Fork(1));
        var opt = new Adam(model.Parameters(), lr: options.LearningRate);
        var loader = new DataLoader(train, options.BatchSize, shuffle: true, generator: root.Fork(2));
        return new EpochTrainer(model, opt, loader,
            (b, _) => new ShardPass(model.Loss(b.X)), null,
            () => [("reconstruction", model.Evaluate(test.Inputs))],
            model.Metadata, options);
    }

    /// <summary>
    /// A <see cref="VariationalAutoencoder"/> (<see cref="VariationalAutoencoder.Create"/>) on −ELBO with Adam; z's ε
    /// from seed fork 3. Step loss −ELBO with metrics "recon" and "kl"; evaluation "reconstruction", "kl" and "elbo"
    /// per image on <paramref name="test"/>, one z sample per image from seed fork 4 (the same draws every epoch).
    /// </summary>
    public static EpochTrainer ForVae(string architecture, int? latent, LabeledDataset train, LabeledDataset test, EpochTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var root = new Generator(options.Seed);
        var model = VariationalAutoencoder.Create(architecture, latent, root.Fork(1));
        var opt = new Adam(model.Parameters(), lr: options.LearningRate);
        var loader = new DataLoader(train, options.BatchSize, shuffle: true, generator: root.Fork(2));
        ulong seed = options.Seed;
        return new EpochTrainer(model, opt, loader,
            (b, noise) =>
            {
                var t = model.Elbo(b.X, noise);
                return new ShardPass(t.Loss, [("recon", t.Reconstruction.Item()), ("kl", t.Kl.Item())]);
            }, root.Fork(3),
            () =>
            {
                var e = model.Evaluate(test.Inputs, new Generator(seed).Fork(4));
                return [("reconstruction", e.Reconstruction), ("kl", e.Kl), ("elbo", e.Elbo)];
            },
            model.Metadata, options);
    }
}
