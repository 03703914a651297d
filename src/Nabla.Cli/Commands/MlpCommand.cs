using System.CommandLine;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using static Nabla.Cli.Commands.CommonOptions;
using static Nabla.Cli.Commands.OptionChecks;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla mlp train | eval`: the Fashion-MNIST classifier of the `mlp` workload (784-256-256-10, ReLU) or, with
/// `--model cnn`, the `cnn` workload's convnet; softmax cross-entropy, Adam, mini-batches.
/// </summary>
public static class MlpCommand
{
    public static Command Create()
    {
        var mlp = new Command("mlp", "Fashion-MNIST classifier (MLP or convnet): train, eval");
        mlp.Subcommands.Add(CreateTrain());
        mlp.Subcommands.Add(CreateEval());
        mlp.Subcommands.Add(ExportCommands.Mlp());
        return mlp;
    }

    const string ModelHelp = "Network: mlp (784-256-256-10, ReLU) or cnn (3×conv3x3-BN-ReLU + linear)";

    static Command CreateTrain()
    {
        var cmd = new Command("train", "Train the classifier; prints per-epoch loss/accuracy and test accuracy, writes checkpoint.safetensors and loss.png to --out");
        var model = new Option<string>("--model") { Description = ModelHelp, DefaultValueFactory = _ => "mlp" };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training images (default 5 for mlp, 2 for cnn)" };
        var batch = new Option<int>("--batch") { Description = "Images per step (per rank under mpirun)", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 };
        var seed = Seed("Seed of initialization and shuffling");
        var data = DataFolder();
        var outDir = OutFolder("Output folder (default runs/mlp or runs/cnn)");
        var distributed = DistributedRun.ModeOption();
        foreach (var o in new Option[] { model, epochs, batch, lr, seed, data, outDir, distributed }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string arch = r.GetValue(model)!.ToLowerInvariant(), outPath = r.GetValue(outDir) ?? Path.Combine("runs", arch);
            return DistributedRun.Guard("mlp train", r.GetValue(distributed)!, Path.Combine(outPath, CheckpointFile), dist =>
            {
                Classifier.TakesFlatInput(arch);   // validates the name
                return Train(dist, arch, r.GetValue(epochs) ?? (arch == "cnn" ? 2 : 5), r.GetValue(batch), r.GetValue(lr), r.GetValue(seed),
                    r.GetValue(data), outPath);
            });
        });
        return cmd;
    }

    static Command CreateEval()
    {
        var cmd = new Command("eval", "Test accuracy of a classifier checkpoint");
        var checkpoint = Checkpoint("nabla mlp train");
        var model = new Option<string?>("--model") { Description = ModelHelp + " (default: the one the checkpoint names)" };
        var data = DataFolder("Folder of Fashion-MNIST IDX files (default as for train)");
        foreach (var o in new Option[] { checkpoint, model, data }) cmd.Options.Add(o);
        cmd.SetAction(r => TrainingRun.Guard("mlp eval", () => Eval(r.GetValue(checkpoint)!, r.GetValue(model), r.GetValue(data))));
        return cmd;
    }

    static int Train(DistributedRun dist, string arch, int epochs, int batch, double lr, ulong seed, string? dataDir, string outDir)
    {
        Positive(epochs, "--epochs");
        Positive(batch, "--batch");
        PositiveFinite(lr, "--lr");
        var data = LoadData(dataDir, flatten: Classifier.TakesFlatInput(arch));
        string ckPath = dist.IsWriter ? CheckpointIn(outDir) : Path.Combine(outDir, CheckpointFile);
        var trainer = EpochTrainer.ForClassifier(arch, data.Train, data.Test,
            new EpochTrainerOptions { Epochs = epochs, BatchSize = batch, LearningRate = lr, Seed = seed, CheckpointPath = ckPath }).UseDataParallel(dist.Parallel);
        Console.WriteLine($"model: {arch}, {trainer.Model.ParameterCount():N0} parameters; Adam lr {lr}, {dist.DescribeBatch(batch)}, {epochs} epoch(s) of {trainer.StepsPerEpoch} steps");
        Console.WriteLine($"output: {Path.GetFullPath(outDir)}  {dist.CtrlCHint}");

        EpochTrainingResult result;
        using (var run = new TrainingRun())
        using (var progress = run.StartProgress($"{arch} train", trainer.TotalSteps, trainer.GlobalBatchSize))
        {
            result = trainer.Train(run.Token,
                s => progress.Report(s.Step, s.Loss, s.EpochMeans),
                e => progress.Log($"epoch {e.Epoch}/{epochs}: train loss {F(e.TrainLoss)}, train accuracy {F(e.TrainMetric("acc"))}, test accuracy {F(e.TestMetric("accuracy"))}"));
            if (result.Interrupted is var (ie, seen)) progress.Log($"epoch {ie}: interrupted after {seen:N0} images");
        }
        if (!dist.IsWriter) return 0;   // rank 0 alone reports and draws
        Console.WriteLine($"test accuracy: {F(result.FinalMetric("accuracy"))} after {result.EpochsDone} epoch(s), {result.Steps:N0} steps, {result.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"checkpoint: {ckPath}");
        if (result.Losses.Count > 0)
        {
            string png = Path.Combine(outDir, "loss.png");
            Plots.Loss(png, result.Losses.Select(l => (float)l).ToList(), new LossPlotOptions { Title = $"{arch} training loss (cross-entropy), batch {trainer.GlobalBatchSize}" });
            Console.WriteLine($"loss curve: {png}");
        }
        return 0;
    }

    static int Eval(string checkpoint, string? arch, string? dataDir)
    {
        var file = SafeTensorFile.Read(checkpoint);
        string name = arch?.ToLowerInvariant() ?? Classifier.ArchitectureOf(file.Metadata)
            ?? throw new ArgumentException($"{checkpoint} names no architecture in its metadata: pass --model mlp or --model cnn");
        var net = Classifier.Create(name, new Generator(0));
        net.LoadSafetensors(checkpoint);
        var data = LoadData(dataDir, flatten: Classifier.TakesFlatInput(name));
        Console.WriteLine($"test accuracy: {F(Classifier.Accuracy(net, data.Test))} ({name}, {data.Test.Count:N0} images)");
        return 0;
    }
}
