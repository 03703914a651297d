using System.CommandLine;
using System.Diagnostics;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.IO;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using static Nabla.Cli.Commands.TrainingRun;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla mlp train | eval`: the Fashion-MNIST classifier of the `mlp` workload (784-256-256-10, ReLU) or, with
/// `--model cnn`, the `cnn` workload's convnet; softmax cross-entropy, Adam, mini-batches.
/// </summary>
public static class MlpCommand
{
    public const string CheckpointFile = "checkpoint.safetensors";

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
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialization and shuffling", DefaultValueFactory = _ => 0UL };
        var data = new Option<string?>("--data") { Description = "Folder of Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist, else the embedded 9,000/1,000 split)" };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default runs/mlp or runs/cnn)" };
        foreach (var o in new Option[] { model, epochs, batch, lr, seed, data, outDir }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard("mlp train", () =>
        {
            string arch = r.GetValue(model)!.ToLowerInvariant();
            Classifier.TakesFlatInput(arch);   // validates the name
            return Train(arch, r.GetValue(epochs) ?? (arch == "cnn" ? 2 : 5), r.GetValue(batch), r.GetValue(lr), r.GetValue(seed),
                r.GetValue(data), r.GetValue(outDir) ?? Path.Combine("runs", arch));
        }));
        return cmd;
    }

    static Command CreateEval()
    {
        var cmd = new Command("eval", "Test accuracy of a classifier checkpoint");
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint.safetensors written by `nabla mlp train`", Required = true };
        var model = new Option<string?>("--model") { Description = ModelHelp + " (default: the one the checkpoint names)" };
        var data = new Option<string?>("--data") { Description = "Folder of Fashion-MNIST IDX files (default as for train)" };
        foreach (var o in new Option[] { checkpoint, model, data }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard("mlp eval", () => Eval(r.GetValue(checkpoint)!, r.GetValue(model), r.GetValue(data))));
        return cmd;
    }

    static int Train(string arch, int epochs, int batch, double lr, ulong seed, string? dataDir, string outDir)
    {
        Positive(epochs, "--epochs");
        Positive(batch, "--batch");
        PositiveFinite(lr, "--lr");
        var data = LoadData(dataDir, flatten: Classifier.TakesFlatInput(arch));
        var root = new Generator(seed);
        var net = Classifier.Create(arch, root.Fork(1));
        var opt = new Adam(net.Parameters(), lr: lr);
        var loader = new DataLoader(data.Train, batch, shuffle: true, generator: root.Fork(2));
        OutputFolder(outDir);
        string ckPath = Path.Combine(outDir, CheckpointFile);
        Console.WriteLine($"model: {arch}, {net.ParameterCount():N0} parameters; Adam lr {lr}, batch {batch}, {epochs} epoch(s) of {loader.BatchCount} steps");
        Console.WriteLine($"output: {Path.GetFullPath(outDir)}  (Ctrl-C saves and stops)");

        var losses = new List<float>();
        var trainAcc = new List<double>();
        var testAcc = new List<double>();
        int epochsDone = 0;
        var sw = Stopwatch.StartNew();
        using (var run = new TrainingRun())
        using (var progress = run.StartProgress($"{arch} train", (long)epochs * loader.BatchCount, batch))
        {
            long step = 0;
            for (int epoch = 1; epoch <= epochs && !run.Cancelled; epoch++)
            {
                net.Train();
                double lossSum = 0;
                long correct = 0, seen = 0;
                foreach (var b in loader)
                {
                    if (run.Cancelled) break;
                    float loss = Classifier.TrainStep(net, opt, b.X, b.Labels, out int c);
                    losses.Add(loss);
                    lossSum += loss * b.Count;
                    correct += c;
                    seen += b.Count;
                    progress.Report(++step, loss, ("acc", (double)correct / seen));
                }
                if (run.Cancelled && seen < data.Train.Count) { progress.Log($"epoch {epoch}: interrupted after {seen:N0} images"); break; }
                double acc = Classifier.Accuracy(net, data.Test);
                trainAcc.Add((double)correct / seen);
                testAcc.Add(acc);
                epochsDone = epoch;
                progress.Log($"epoch {epoch}/{epochs}: train loss {F(lossSum / seen)}, train accuracy {F(trainAcc[^1])}, test accuracy {F(acc)}");
                net.SaveSafetensors(ckPath, WithRun(Classifier.Metadata(arch), epochsDone, batch, lr, seed));
            }
        }
        if (epochsDone == 0)
            net.SaveSafetensors(ckPath, WithRun(Classifier.Metadata(arch), 0, batch, lr, seed));
        double finalAcc = testAcc.Count > 0 ? testAcc[^1] : Classifier.Accuracy(net, data.Test);
        Console.WriteLine($"test accuracy: {F(finalAcc)} after {epochsDone} epoch(s), {losses.Count:N0} steps, {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"checkpoint: {ckPath}");
        if (losses.Count > 0)
        {
            string png = Path.Combine(outDir, "loss.png");
            Plots.Loss(png, losses, new LossPlotOptions { Title = $"{arch} training loss (cross-entropy), batch {batch}" });
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
