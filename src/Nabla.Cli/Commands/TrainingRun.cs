using Nabla.Cli.Viz;

namespace Nabla.Cli.Commands;

/// <summary>
/// The lifetime of a long command: Ctrl-C as a cancellation token (the first press cancels, a second ends the
/// process), its progress display, and <see cref="Guard"/>, which turns errors and cancellation into exit codes.
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
}
