using System.Globalization;
using Nabla.Cli.Viz;
using Nabla.Data;

namespace Nabla.Cli.Commands;

/// <summary>
/// What the Fashion-MNIST training commands (mlp, ae, vae) share: Ctrl-C as a cancellation token, the progress
/// display, data loading with a one-line description, option checks and number formatting.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    readonly CancellationTokenSource cts = new();
    readonly ConsoleCancelEventHandler onCancel;

    /// <summary>Starts listening for Ctrl-C: the first press cancels <see cref="Token"/> (the loop saves and stops), a second ends the process.</summary>
    public TrainingRun()
    {
        onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
    }

    public CancellationToken Token => cts.Token;

    /// <summary>Runs a command body under the CLI's one error contract (see <see cref="CliErrors"/>).</summary>
    public static int Guard(string name, Func<int> body) => CliErrors.Run(name, body);
    public bool Cancelled => cts.IsCancellationRequested;

    /// <summary>The progress display of <paramref name="totalSteps"/> steps of <paramref name="batch"/> images (loss, metrics, img/s, ETA).</summary>
    public TrainingProgress StartProgress(string name, long totalSteps, int batch) =>
        TrainingProgress.Start(name, Math.Max(1, totalSteps), new ProgressOptions { ItemsPerStep = batch, ItemName = "img" }, cts.Token);

    public void Dispose()
    {
        Console.CancelKeyPress -= onCancel;
        cts.Dispose();
    }

    /// <summary>Loads training and test data (see <see cref="FashionMnist.Load"/>) and prints where they came from.</summary>
    public static TrainTestData LoadData(string? dir, bool flatten)
    {
        var d = FashionMnist.Load(dir, flatten);
        Console.WriteLine($"data: {d.Source.Description}; {d.Train.Count:N0} training, {d.Test.Count:N0} test images");
        return d;
    }

    public static void Positive(int value, string option)
    {
        if (value < 1) throw new ArgumentException($"{option} must be a positive integer, got {value}");
    }

    public static void PositiveFinite(double value, string option)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentException($"{option} must be a positive number, got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Creates the output folder and returns it.</summary>
    public static string OutputFolder(string dir)
    {
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string F(double v, int decimals = 4) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>Adds the run's settings to a checkpoint's metadata.</summary>
    public static Dictionary<string, string> WithRun(Dictionary<string, string> meta, int epochsDone, int batch, double lr, ulong seed)
    {
        meta["epochs"] = epochsDone.ToString(CultureInfo.InvariantCulture);
        meta["batch"] = batch.ToString(CultureInfo.InvariantCulture);
        meta["lr"] = lr.ToString("R", CultureInfo.InvariantCulture);
        meta["seed"] = seed.ToString(CultureInfo.InvariantCulture);
        return meta;
    }

    /// <summary>Trailing moving average over per-step values (the display curve of a noisy per-step loss).</summary>
    public static double[] Smooth(IReadOnlyList<double> y, int stepsPerEpoch) =>
        y.Count == 0 ? Array.Empty<double>() : Plots.MovingAverage(y, Math.Clamp(stepsPerEpoch / 10, 1, Math.Max(1, y.Count / 5)));

    /// <summary>x = fraction of epochs done after each step (1-based steps).</summary>
    public static double[] EpochAxis(int steps, int stepsPerEpoch)
    {
        var x = new double[steps];
        for (int i = 0; i < steps; i++) x[i] = (i + 1.0) / stepsPerEpoch;
        return x;
    }
}
