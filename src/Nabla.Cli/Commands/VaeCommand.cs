using System.CommandLine;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using static Nabla.Cli.Commands.CommonOptions;
using static Nabla.Cli.Commands.OptionChecks;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla vae train | sample | interpolate`: a variational autoencoder (MLP or convolutional) on Fashion-MNIST,
/// trained on −ELBO = reconstruction (BCE summed over pixels) + KL(q(z|x) ‖ N(0, I)), both terms reported.
/// </summary>
public static class VaeCommand
{
    public static Command Create()
    {
        var vae = new Command("vae", "Variational autoencoder on Fashion-MNIST: train, sample, interpolate");
        vae.Subcommands.Add(CreateTrain());
        vae.Subcommands.Add(CreateSample());
        vae.Subcommands.Add(CreateInterpolate());
        vae.Subcommands.Add(VaeEvalCommand.Create());
        vae.Subcommands.Add(ExportCommands.Vae());
        return vae;
    }

    /// <summary>Options shared by `ae train` and `vae train`.</summary>
    internal sealed record TrainOptions(Option<string> Arch, Option<int?> Latent, Option<int?> Epochs, Option<int> Batch, Option<double> Lr,
        Option<ulong> Seed, Option<string?> Data, Option<string?> Out, Option<string> Distributed)
    {
        public static TrainOptions AddTo(Command cmd, string defaultOut, string latentDefaults)
        {
            var o = new TrainOptions(
                new Option<string>("--arch") { Description = "Encoder/decoder: mlp (784-400-Z) or conv (two stride-2 convolutions / transposed convolutions)", DefaultValueFactory = _ => "mlp" },
                new Option<int?>("--latent") { Description = $"Size of z (default {latentDefaults})" },
                new Option<int?>("--epochs") { Description = "Passes over the training images (default 10 for mlp, 5 for conv)" },
                new Option<int>("--batch") { Description = "Images per step (per rank under mpirun)", DefaultValueFactory = _ => 128 },
                new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 },
                CommonOptions.Seed("Seed of initialization, shuffling and the ε of z = μ + σ·ε"),
                DataFolder(),
                OutFolder($"Output folder (default {defaultOut})"),
                DistributedRun.ModeOption());
            foreach (var opt in new Option[] { o.Arch, o.Latent, o.Epochs, o.Batch, o.Lr, o.Seed, o.Data, o.Out, o.Distributed }) cmd.Options.Add(opt);
            return o;
        }

        /// <summary>Runs <paramref name="body"/>(the job, the output folder) as a data-parallel training command.</summary>
        public int Guard(string name, ParseResult r, string defaultOut, Func<DistributedRun, string, int> body)
        {
            string outDir = r.GetValue(Out) ?? defaultOut;
            return DistributedRun.Guard(name, r.GetValue(Distributed)!, Path.Combine(outDir, CheckpointFile), dist => body(dist, outDir));
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
        cmd.SetAction(r => o.Guard("vae train", r, Path.Combine("runs", "vae"), (dist, outDir) =>
        {
            string arch = o.ArchOf(r);
            return Train(dist, arch, r.GetValue(o.Latent), r.GetValue(o.Epochs) ?? (arch == "conv" ? 5 : 10), r.GetValue(o.Batch), r.GetValue(o.Lr),
                r.GetValue(o.Seed), r.GetValue(o.Data), outDir);
        }));
        return cmd;
    }

    static Command CreateSample()
    {
        var cmd = new Command("sample", "Decode z ~ N(0, I) into a grid of images");
        var checkpoint = Checkpoint("nabla vae train");
        var n = new Option<int>("--n") { Description = "Number of samples", DefaultValueFactory = _ => 64 };
        var seed = Seed("Seed of z");
        var output = OutFile("PNG to write", "samples.png");
        foreach (var o in new Option[] { checkpoint, n, seed, output }) cmd.Options.Add(o);
        cmd.SetAction(r => TrainingRun.Guard("vae sample", () =>
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
        var checkpoint = Checkpoint("nabla vae train");
        var steps = new Option<int>("--steps") { Description = "Images per strip, endpoints included", DefaultValueFactory = _ => 10 };
        var pairs = new Option<int>("--pairs") { Description = "Number of strips (pairs of random test images)", DefaultValueFactory = _ => 4 };
        var seed = Seed("Seed of the choice of test images");
        var data = DataFolder("Folder of Fashion-MNIST IDX files (default as for train)");
        var output = OutFile("PNG to write", "interp.png");
        foreach (var o in new Option[] { checkpoint, steps, pairs, seed, data, output }) cmd.Options.Add(o);
        cmd.SetAction(r => TrainingRun.Guard("vae interpolate", () =>
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

    static int Train(DistributedRun dist, string arch, int? latent, int epochs, int batch, double lr, ulong seed, string? dataDir, string outDir)
    {
        Positive(epochs, "--epochs");
        Positive(batch, "--batch");
        PositiveFinite(lr, "--lr");
        if (latent is < 1 or > 4096) throw new ArgumentException($"--latent must be in 1..4096, got {latent}");
        var data = LoadData(dataDir, flatten: arch == "mlp");
        string ckPath = dist.IsWriter ? CheckpointIn(outDir) : Path.Combine(outDir, CheckpointFile);
        var trainer = EpochTrainer.ForVae(arch, latent, data.Train, data.Test,
            new EpochTrainerOptions { Epochs = epochs, BatchSize = batch, LearningRate = lr, Seed = seed, CheckpointPath = ckPath }).UseDataParallel(dist.Parallel);
        var model = (VariationalAutoencoder)trainer.Model;
        Console.WriteLine($"model: {arch} VAE, latent {model.LatentDim}, {model.ParameterCount():N0} parameters; Adam lr {lr}, {dist.DescribeBatch(batch)}, {epochs} epoch(s) of {trainer.StepsPerEpoch} steps");
        Console.WriteLine($"output: {Path.GetFullPath(outDir)}  {dist.CtrlCHint}");

        EpochTrainingResult result;
        using (var run = new TrainingRun())
        using (var progress = run.StartProgress($"{arch} vae train", trainer.TotalSteps, trainer.GlobalBatchSize))
        {
            result = trainer.Train(run.Token,
                s => progress.Report(s.Step, s.Loss, s.Metrics),
                e => progress.Log($"epoch {e.Epoch}/{epochs}: train recon {F(e.TrainMetric("recon"), 2)}, KL {F(e.TrainMetric("kl"), 2)}, ELBO {F(-e.TrainLoss, 2)} | " +
                                  $"test recon {F(e.TestMetric("reconstruction"), 2)}, KL {F(e.TestMetric("kl"), 2)}, ELBO {F(e.TestMetric("elbo"), 2)}"));
            if (result.Interrupted is var (ie, seen)) progress.Log($"epoch {ie}: interrupted after {seen:N0} images");
        }
        if (!dist.IsWriter) return 0;   // rank 0 alone reports and draws
        model.Eval();
        Console.WriteLine($"test (per image, one z sample): reconstruction {F(result.FinalMetric("reconstruction"), 2)}, KL {F(result.FinalMetric("kl"), 2)}, ELBO {F(result.FinalMetric("elbo"), 2)} " +
                          $"after {result.EpochsDone} epoch(s), {result.Steps:N0} steps, {result.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"checkpoint: {ckPath}");
        SaveReconstructions(Path.Combine(outDir, "reconstructions.png"), data.Test.Inputs, model.Forward, $"VAE ({arch}, latent {model.LatentDim}): test images and their reconstructions σ(f(μ(x)))");
        SaveSamples(model, 64, new Generator(seed).Fork(5), Path.Combine(outDir, "samples.png"));
        bool drawn = result.Steps > 0;
        if (drawn)
            SaveElboPlot(Path.Combine(outDir, "elbo.png"), result.StepMetrics["recon"], result.StepMetrics["kl"], result.Epochs.Select(e => -e.TestMetric("elbo")).ToList(),
                trainer.StepsPerEpoch, $"VAE ({arch}): −ELBO = reconstruction (BCE) + KL, per image");
        Console.WriteLine($"pictures: reconstructions.png, samples.png{(drawn ? ", elbo.png" : "")} in {outDir}");
        return 0;
    }

    /// <summary>elbo.png: smoothed per-step reconstruction, KL and −ELBO, and the per-epoch test −ELBO, against epochs (log scale).</summary>
    static void SaveElboPlot(string path, List<double> recon, List<double> kl, List<double> testNegElbo, int stepsPerEpoch, string title)
    {
        var neg = new double[recon.Count];
        for (int i = 0; i < neg.Length; i++) neg[i] = recon[i] + kl[i];
        var x = EpochSeries.EpochAxis(recon.Count, stepsPerEpoch);
        var series = new List<Series>
        {
            new("−ELBO (train)", x, EpochSeries.Smooth(neg, stepsPerEpoch)),
            new("reconstruction (train)", x, EpochSeries.Smooth(recon, stepsPerEpoch)),
            new("KL (train)", x, EpochSeries.Smooth(kl, stepsPerEpoch)),
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
