using System.CommandLine;
using Nabla.Cli.Viz;
using Nabla.Models;
using static Nabla.Cli.Commands.CommonOptions;
using static Nabla.Cli.Commands.OptionChecks;

namespace Nabla.Cli.Commands;

/// <summary>`nabla ae train`: a deterministic autoencoder (MLP or convolutional) on Fashion-MNIST, trained on the reconstruction BCE.</summary>
public static class AeCommand
{
    public static Command Create()
    {
        var ae = new Command("ae", "Autoencoder on Fashion-MNIST: train");
        var train = new Command("train", "Train an autoencoder; prints train and test reconstruction loss per epoch, writes checkpoint.safetensors, reconstructions.png and loss.png");
        var o = VaeCommand.TrainOptions.AddTo(train, "runs/ae", "16");
        train.SetAction(r => o.Guard("ae train", r, Path.Combine("runs", "ae"), (dist, outDir) =>
        {
            string arch = o.ArchOf(r);
            return Train(dist, arch, r.GetValue(o.Latent) ?? 16, r.GetValue(o.Epochs) ?? (arch == "conv" ? 5 : 10), r.GetValue(o.Batch), r.GetValue(o.Lr),
                r.GetValue(o.Seed), r.GetValue(o.Data), outDir);
        }));
        ae.Subcommands.Add(train);
        return ae;
    }

    static int Train(DistributedRun dist, string arch, int latent, int epochs, int batch, double lr, ulong seed, string? dataDir, string outDir)
    {
        Positive(epochs, "--epochs");
        Positive(batch, "--batch");
        PositiveFinite(lr, "--lr");
        if (latent is < 1 or > 4096) throw new ArgumentException($"--latent must be in 1..4096, got {latent}");
        var data = LoadData(dataDir, flatten: arch == "mlp");
        string ckPath = dist.IsWriter ? CheckpointIn(outDir) : Path.Combine(outDir, CheckpointFile);
        var trainer = EpochTrainer.ForAutoencoder(arch == "conv", latent, data.Train, data.Test,
            new EpochTrainerOptions { Epochs = epochs, BatchSize = batch, LearningRate = lr, Seed = seed, CheckpointPath = ckPath }).UseDataParallel(dist.Parallel);
        var model = (Autoencoder)trainer.Model;
        Console.WriteLine($"model: {arch} autoencoder, latent {latent}, {model.ParameterCount():N0} parameters; Adam lr {lr}, {dist.DescribeBatch(batch)}, {epochs} epoch(s) of {trainer.StepsPerEpoch} steps");
        Console.WriteLine($"output: {Path.GetFullPath(outDir)}  {dist.CtrlCHint}");

        EpochTrainingResult result;
        using (var run = new TrainingRun())
        using (var progress = run.StartProgress($"{arch} ae train", trainer.TotalSteps, trainer.GlobalBatchSize))
        {
            result = trainer.Train(run.Token,
                s => progress.Report(s.Step, s.Loss),
                e => progress.Log($"epoch {e.Epoch}/{epochs}: train reconstruction {F(e.TrainLoss, 2)}, test reconstruction {F(e.TestMetric("reconstruction"), 2)} (BCE summed over pixels, per image)"));
            if (result.Interrupted is var (ie, seen)) progress.Log($"epoch {ie}: interrupted after {seen:N0} images");
        }
        if (!dist.IsWriter) return 0;   // rank 0 alone reports and draws
        Console.WriteLine($"test reconstruction loss {F(result.FinalMetric("reconstruction"), 2)} per image after {result.EpochsDone} epoch(s), {result.Steps:N0} steps, {result.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"checkpoint: {ckPath}");
        VaeCommand.SaveReconstructions(Path.Combine(outDir, "reconstructions.png"), data.Test.Inputs, model.Forward, $"Autoencoder ({arch}, latent {latent}): test images and their reconstructions");
        bool drawn = result.Losses.Count > 0;
        if (drawn)
            Plots.Loss(Path.Combine(outDir, "loss.png"), result.Losses.Select(l => (float)l).ToList(), new LossPlotOptions { Title = $"Autoencoder ({arch}) training loss: BCE summed over pixels, per image", LogY = true });
        Console.WriteLine($"pictures: reconstructions.png{(drawn ? ", loss.png" : "")} in {outDir}");
        return 0;
    }
}
