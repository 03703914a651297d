using System.CommandLine;
using System.Diagnostics;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.Optim;
using static Nabla.Cli.Commands.TrainingRun;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla vae train | sample | interpolate`: a variational autoencoder (MLP or convolutional) on Fashion-MNIST,
/// trained on −ELBO = reconstruction (BCE summed over pixels) + KL(q(z|x) ‖ N(0, I)), both terms reported.
/// </summary>
public static class VaeCommand
{
    public const string CheckpointFile = "checkpoint.safetensors";

    public static Command Create()
    {
        var vae = new Command("vae", "Variational autoencoder on Fashion-MNIST: train, sample, interpolate");
        vae.Subcommands.Add(CreateTrain());
        vae.Subcommands.Add(CreateSample());
        vae.Subcommands.Add(CreateInterpolate());
        vae.Subcommands.Add(VaeEvalCommand.Create());
        return vae;
    }

    /// <summary>Options shared by `ae train` and `vae train`.</summary>
    internal sealed record TrainOptions(Option<string> Arch, Option<int?> Latent, Option<int?> Epochs, Option<int> Batch, Option<double> Lr,
        Option<ulong> Seed, Option<string?> Data, Option<string?> Out)
    {
        public static TrainOptions AddTo(Command cmd, string defaultOut, string latentDefaults)
        {
            var o = new TrainOptions(
                new Option<string>("--arch") { Description = "Encoder/decoder: mlp (784-400-Z) or conv (two stride-2 convolutions / transposed convolutions)", DefaultValueFactory = _ => "mlp" },
                new Option<int?>("--latent") { Description = $"Size of z (default {latentDefaults})" },
                new Option<int?>("--epochs") { Description = "Passes over the training images (default 10 for mlp, 5 for conv)" },
                new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 128 },
                new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 },
                new Option<ulong>("--seed") { Description = "Seed of initialization, shuffling and the ε of z = μ + σ·ε", DefaultValueFactory = _ => 0UL },
                new Option<string?>("--data") { Description = "Folder of Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist, else the embedded 9,000/1,000 split)" },
                new Option<string?>("--out") { Description = $"Output folder (default {defaultOut})" });
            foreach (var opt in new Option[] { o.Arch, o.Latent, o.Epochs, o.Batch, o.Lr, o.Seed, o.Data, o.Out }) cmd.Options.Add(opt);
            return o;
        }

        public string ArchOf(ParseResult r)
        {
            string a = r.GetValue(Arch)!.ToLowerInvariant();
            return a is "mlp" or "conv" ? a : throw new ArgumentException($"--arch must be mlp or conv, got '{a}'");
        }
    }

    static Command CreateTrain()
    {
        var cmd = new Command("train", "Train a VAE; prints the ELBO's reconstruction and KL terms per epoch, writes checkpoint.safetensors, reconstructions.png, samples.png and elbo.png");
        var o = TrainOptions.AddTo(cmd, "runs/vae", "20 for mlp, 16 for conv");
        cmd.SetAction(r => Guard("vae train", () =>
        {
            string arch = o.ArchOf(r);
            string outDir = r.GetValue(o.Out) ?? Path.Combine("runs", "vae");
            return Train(arch, r.GetValue(o.Latent), r.GetValue(o.Epochs) ?? (arch == "conv" ? 5 : 10), r.GetValue(o.Batch), r.GetValue(o.Lr),
                r.GetValue(o.Seed), r.GetValue(o.Data), outDir);
        }));
        return cmd;
    }

    static Command CreateSample()
    {
        var cmd = new Command("sample", "Decode z ~ N(0, I) into a grid of images");
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint.safetensors written by `nabla vae train`", Required = true };
        var n = new Option<int>("--n") { Description = "Number of samples", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of z", DefaultValueFactory = _ => 0UL };
        var output = new Option<string>("--out") { Description = "PNG to write", DefaultValueFactory = _ => "samples.png" };
        foreach (var o in new Option[] { checkpoint, n, seed, output }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard("vae sample", () =>
        {
            int count = r.GetValue(n);
            if (count < 1 || count > 4096) throw new ArgumentException($"--n must be in 1..4096, got {count}");
            var model = Load(r.GetValue(checkpoint)!);
            string path = r.GetValue(output)!;
            SaveSamples(model, count, new Generator(r.GetValue(seed)), path);
            Console.WriteLine($"{count} samples: {path}");
            return 0;
        }));
        return cmd;
    }

    static Command CreateInterpolate()
    {
        var cmd = new Command("interpolate", "Decode straight lines between the latent means of pairs of test images (one strip per pair)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint.safetensors written by `nabla vae train`", Required = true };
        var steps = new Option<int>("--steps") { Description = "Images per strip, endpoints included", DefaultValueFactory = _ => 10 };
        var pairs = new Option<int>("--pairs") { Description = "Number of strips (pairs of random test images)", DefaultValueFactory = _ => 4 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the choice of test images", DefaultValueFactory = _ => 0UL };
        var data = new Option<string?>("--data") { Description = "Folder of Fashion-MNIST IDX files (default as for train)" };
        var output = new Option<string>("--out") { Description = "PNG to write", DefaultValueFactory = _ => "interp.png" };
        foreach (var o in new Option[] { checkpoint, steps, pairs, seed, data, output }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard("vae interpolate", () =>
        {
            int s = r.GetValue(steps), p = r.GetValue(pairs);
            if (s < 2 || s > 64) throw new ArgumentException($"--steps must be in 2..64, got {s}");
            if (p < 1 || p > 64) throw new ArgumentException($"--pairs must be in 1..64, got {p}");
            var model = Load(r.GetValue(checkpoint)!);
            var test = LoadData(r.GetValue(data), flatten: false).Test;
            if (test.Count < 2 * p) throw new ArgumentException($"--pairs {p} needs {2 * p} test images, the data has {test.Count}");
            var order = new Generator(r.GetValue(seed)).Permutation(test.Count);
            var strips = new List<Tensor>();
            var labels = new List<string>();
            for (int i = 0; i < p; i++)
            {
                int a = order[2 * i], b = order[2 * i + 1];
                strips.Add(model.Interpolate(test.Inputs.Slice(0, a, a + 1).Squeeze(0), test.Inputs.Slice(0, b, b + 1).Squeeze(0), s));
                labels.Add($"{FashionMnist.ClassNames[test.Labels[a]]} → {FashionMnist.ClassNames[test.Labels[b]]}");
            }
            string path = r.GetValue(output)!;
            ImageGrid.SaveInterpolation(path, Tensor.Concat(strips, 0), s, new GridOptions { Range = PixelRange.ZeroToOne, RowLabels = labels, Title = "VAE latent interpolation" });
            Console.WriteLine($"{p} interpolation strip(s) of {s} images: {path}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>A VAE rebuilt from a checkpoint's metadata, with its weights.</summary>
    internal static VariationalAutoencoder Load(string checkpoint)
    {
        var file = SafeTensorFile.Read(checkpoint);
        var model = VariationalAutoencoder.FromMetadata(file.Metadata);
        model.LoadStateDict(file.ReadAll());
        model.Eval();
        return model;
    }

    static void SaveSamples(VariationalAutoencoder model, int n, Generator gen, string path) =>
        ImageGrid.Save(path, model.Sample(n, gen), new GridOptions { Range = PixelRange.ZeroToOne, Title = $"VAE samples, z ~ N(0, I) (latent {model.LatentDim})" });

    /// <summary>reconstructions.png: rows of originals, each above its reconstructions.</summary>
    internal static void SaveReconstructions(string path, Tensor originals, Func<Tensor, Tensor> reconstruct, string title)
    {
        const int perRow = 12, rows = 2;
        int n = Math.Min(perRow * rows, originals.Dim(0));
        int cols = Math.Min(perRow, n);
        var x = originals.Slice(0, 0, n).Reshape(n, 1, 28, 28);
        Tensor rec;
        using (Tensor.NoGrad()) rec = reconstruct(x).Reshape(n, 1, 28, 28);
        var cells = new List<Tensor>();
        var rowLabels = new List<string>();
        for (int i = 0; i < n; i += cols)
        {
            int m = Math.Min(cols, n - i);
            if (m < cols) break;
            cells.Add(x.Slice(0, i, i + m));
            cells.Add(rec.Slice(0, i, i + m));
            rowLabels.Add("original");
            rowLabels.Add("reconstructed");
        }
        ImageGrid.Save(path, Tensor.Concat(cells, 0), new GridOptions { Columns = cols, Range = PixelRange.ZeroToOne, RowLabels = rowLabels, Title = title });
    }

    static int Train(string arch, int? latent, int epochs, int batch, double lr, ulong seed, string? dataDir, string outDir)
    {
        Positive(epochs, "--epochs");
        Positive(batch, "--batch");
        PositiveFinite(lr, "--lr");
        if (latent is < 1 or > 4096) throw new ArgumentException($"--latent must be in 1..4096, got {latent}");
        var data = LoadData(dataDir, flatten: arch == "mlp");
        var root = new Generator(seed);
        var model = VariationalAutoencoder.Create(arch, latent, root.Fork(1));
        var opt = new Adam(model.Parameters(), lr: lr);
        var loader = new DataLoader(data.Train, batch, shuffle: true, generator: root.Fork(2));
        var noise = root.Fork(3);
        OutputFolder(outDir);
        string ckPath = Path.Combine(outDir, CheckpointFile);
        Console.WriteLine($"model: {arch} VAE, latent {model.LatentDim}, {model.ParameterCount():N0} parameters; Adam lr {lr}, batch {batch}, {epochs} epoch(s) of {loader.BatchCount} steps");
        Console.WriteLine($"output: {Path.GetFullPath(outDir)}  (Ctrl-C saves and stops)");

        var recon = new List<double>();
        var kl = new List<double>();
        var testNegElbo = new List<double>();
        int epochsDone = 0;
        var sw = Stopwatch.StartNew();
        using (var run = new TrainingRun())
        using (var progress = run.StartProgress($"{arch} vae train", (long)epochs * loader.BatchCount, batch))
        {
            long step = 0;
            for (int epoch = 1; epoch <= epochs && !run.Cancelled; epoch++)
            {
                model.Train();
                double rSum = 0, kSum = 0;
                long seen = 0;
                foreach (var b in loader)
                {
                    if (run.Cancelled) break;
                    var t = model.TrainStep(opt, b.X, noise);
                    recon.Add(t.Reconstruction);
                    kl.Add(t.Kl);
                    rSum += t.Reconstruction * b.Count;
                    kSum += t.Kl * b.Count;
                    seen += b.Count;
                    progress.Report(++step, t.NegativeElbo, ("recon", t.Reconstruction), ("kl", t.Kl));
                }
                if (run.Cancelled && seen < data.Train.Count) { progress.Log($"epoch {epoch}: interrupted after {seen:N0} images"); break; }
                var test = model.Evaluate(data.Test.Inputs, new Generator(seed).Fork(4));
                testNegElbo.Add(test.NegativeElbo);
                epochsDone = epoch;
                progress.Log($"epoch {epoch}/{epochs}: train recon {F(rSum / seen, 2)}, KL {F(kSum / seen, 2)}, ELBO {F(-(rSum + kSum) / seen, 2)} | " +
                             $"test recon {F(test.Reconstruction, 2)}, KL {F(test.Kl, 2)}, ELBO {F(test.Elbo, 2)}");
                model.SaveSafetensors(ckPath, WithRun(model.Metadata(), epochsDone, batch, lr, seed));
            }
        }
        if (epochsDone == 0) model.SaveSafetensors(ckPath, WithRun(model.Metadata(), 0, batch, lr, seed));
        model.Eval();
        var final = model.Evaluate(data.Test.Inputs, new Generator(seed).Fork(4));
        Console.WriteLine($"test (per image, one z sample): reconstruction {F(final.Reconstruction, 2)}, KL {F(final.Kl, 2)}, ELBO {F(final.Elbo, 2)} " +
                          $"after {epochsDone} epoch(s), {recon.Count:N0} steps, {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"checkpoint: {ckPath}");
        SaveReconstructions(Path.Combine(outDir, "reconstructions.png"), data.Test.Inputs, model.Forward, $"VAE ({arch}, latent {model.LatentDim}): test images and their reconstructions σ(f(μ(x)))");
        SaveSamples(model, 64, new Generator(seed).Fork(5), Path.Combine(outDir, "samples.png"));
        if (recon.Count > 0) SaveElboPlot(Path.Combine(outDir, "elbo.png"), recon, kl, testNegElbo, loader.BatchCount, $"VAE ({arch}): −ELBO = reconstruction (BCE) + KL, per image");
        Console.WriteLine($"pictures: reconstructions.png, samples.png{(recon.Count > 0 ? ", elbo.png" : "")} in {outDir}");
        return 0;
    }

    /// <summary>elbo.png: smoothed per-step reconstruction, KL and −ELBO, and the per-epoch test −ELBO, against epochs (log scale).</summary>
    static void SaveElboPlot(string path, List<double> recon, List<double> kl, List<double> testNegElbo, int stepsPerEpoch, string title)
    {
        var neg = new double[recon.Count];
        for (int i = 0; i < neg.Length; i++) neg[i] = recon[i] + kl[i];
        var x = EpochAxis(recon.Count, stepsPerEpoch);
        var series = new List<Series>
        {
            new("−ELBO (train)", x, Smooth(neg, stepsPerEpoch)),
            new("reconstruction (train)", x, Smooth(recon, stepsPerEpoch)),
            new("KL (train)", x, Smooth(kl, stepsPerEpoch)),
        };
        if (testNegElbo.Count > 0)
        {
            var ex = new double[testNegElbo.Count];
            for (int i = 0; i < ex.Length; i++) ex[i] = i + 1;
            series.Add(new Series("−ELBO (test)", ex, testNegElbo));
        }
        Plots.Lines(path, series, new PlotOptions { Title = title, XLabel = "epoch", YLabel = "nats per image", LogY = true });
    }
}
