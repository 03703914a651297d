using System.CommandLine;
using System.Diagnostics;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.Optim;
using static Nabla.Cli.Commands.TrainingRun;

namespace Nabla.Cli.Commands;

/// <summary>`nabla ae train`: a deterministic autoencoder (MLP or convolutional) on Fashion-MNIST, trained on the reconstruction BCE.</summary>
public static class AeCommand
{
    public const string CheckpointFile = "checkpoint.safetensors";

    public static Command Create()
    {
        var ae = new Command("ae", "Autoencoder on Fashion-MNIST: train");
        var train = new Command("train", "Train an autoencoder; prints train and test reconstruction loss per epoch, writes checkpoint.safetensors, reconstructions.png and loss.png");
        var o = VaeCommand.TrainOptions.AddTo(train, "runs/ae", "16");
        train.SetAction(r => Guard("ae train", () =>
        {
            string arch = o.ArchOf(r);
            return Train(arch, r.GetValue(o.Latent) ?? 16, r.GetValue(o.Epochs) ?? (arch == "conv" ? 5 : 10), r.GetValue(o.Batch), r.GetValue(o.Lr),
                r.GetValue(o.Seed), r.GetValue(o.Data), r.GetValue(o.Out) ?? Path.Combine("runs", "ae"));
        }));
        ae.Subcommands.Add(train);
        return ae;
    }

    static int Train(string arch, int latent, int epochs, int batch, double lr, ulong seed, string? dataDir, string outDir)
    {
        Positive(epochs, "--epochs");
        Positive(batch, "--batch");
        PositiveFinite(lr, "--lr");
        if (latent is < 1 or > 4096) throw new ArgumentException($"--latent must be in 1..4096, got {latent}");
        var data = LoadData(dataDir, flatten: arch == "mlp");
        var root = new Generator(seed);
        var model = new Autoencoder(arch == "conv", latent, gen: root.Fork(1));
        var opt = new Adam(model.Parameters(), lr: lr);
        var loader = new DataLoader(data.Train, batch, shuffle: true, generator: root.Fork(2));
        OutputFolder(outDir);
        string ckPath = Path.Combine(outDir, CheckpointFile);
        Console.WriteLine($"model: {arch} autoencoder, latent {latent}, {model.ParameterCount():N0} parameters; Adam lr {lr}, batch {batch}, {epochs} epoch(s) of {loader.BatchCount} steps");
        Console.WriteLine($"output: {Path.GetFullPath(outDir)}  (Ctrl-C saves and stops)");

        var losses = new List<float>();
        int epochsDone = 0;
        double lastTest = double.NaN;
        var sw = Stopwatch.StartNew();
        using (var run = new TrainingRun())
        using (var progress = run.StartProgress($"{arch} ae train", (long)epochs * loader.BatchCount, batch))
        {
            long step = 0;
            for (int epoch = 1; epoch <= epochs && !run.Cancelled; epoch++)
            {
                model.Train();
                double sum = 0;
                long seen = 0;
                foreach (var b in loader)
                {
                    if (run.Cancelled) break;
                    float loss = model.TrainStep(opt, b.X);
                    losses.Add(loss);
                    sum += loss * b.Count;
                    seen += b.Count;
                    progress.Report(++step, loss);
                }
                if (run.Cancelled && seen < data.Train.Count) { progress.Log($"epoch {epoch}: interrupted after {seen:N0} images"); break; }
                lastTest = model.Evaluate(data.Test.Inputs);
                epochsDone = epoch;
                progress.Log($"epoch {epoch}/{epochs}: train reconstruction {F(sum / seen, 2)}, test reconstruction {F(lastTest, 2)} (BCE summed over pixels, per image)");
                model.SaveSafetensors(ckPath, WithRun(model.Metadata(), epochsDone, batch, lr, seed));
            }
        }
        if (epochsDone == 0) { model.SaveSafetensors(ckPath, WithRun(model.Metadata(), 0, batch, lr, seed)); lastTest = model.Evaluate(data.Test.Inputs); }
        Console.WriteLine($"test reconstruction loss {F(lastTest, 2)} per image after {epochsDone} epoch(s), {losses.Count:N0} steps, {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"checkpoint: {ckPath}");
        VaeCommand.SaveReconstructions(Path.Combine(outDir, "reconstructions.png"), data.Test.Inputs, model.Forward, $"Autoencoder ({arch}, latent {latent}): test images and their reconstructions");
        if (losses.Count > 0)
            Plots.Loss(Path.Combine(outDir, "loss.png"), losses, new LossPlotOptions { Title = $"Autoencoder ({arch}) training loss: BCE summed over pixels, per image", LogY = true });
        Console.WriteLine($"pictures: reconstructions.png{(losses.Count > 0 ? ", loss.png" : "")} in {outDir}");
        return 0;
    }
}
