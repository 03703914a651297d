using Spectre.Console;

namespace Nabla.Cli.Viz;

/// <summary>How <see cref="TrainingProgress"/> shows itself.</summary>
public enum ProgressMode
{
    /// <summary><see cref="Live"/> on an interactive terminal, <see cref="Plain"/> when output is redirected (files, pipes, CI).</summary>
    Auto,
    /// <summary>A Spectre.Console progress bar redrawn about ten times a second.</summary>
    Live,
    /// <summary>One summary line every few percent (and at least every <see cref="ProgressOptions.PlainMaxInterval"/>).</summary>
    Plain,
    /// <summary>Nothing is printed (tests, nested runs); smoothing and rates are still tracked.</summary>
    Silent,
}

/// <summary>Options of <see cref="TrainingProgress.Start"/>.</summary>
public sealed record ProgressOptions
{
    public ProgressMode Mode { get; init; } = ProgressMode.Auto;
    /// <summary>Items (images, tokens…) per step, for an items/s rate beside it/s; 0 shows none.</summary>
    public double ItemsPerStep { get; init; }
    /// <summary>Unit of <see cref="ItemsPerStep"/>, shown as "img/s".</summary>
    public string ItemName { get; init; } = "img";
    /// <summary>Step already done when the display starts (resumed runs): the bar starts there and rates count only new steps.</summary>
    public long StartStep { get; init; }
    /// <summary>Whether <see cref="StartStep"/> is a resumed run's step (said in the plain output) rather than steps this run did before its bar started.</summary>
    public bool Resumed { get; init; } = true;
    /// <summary>
    /// The run's time budget from the start of the display (null: none). When the budget will end the run before
    /// the steps do, the percentage, the bar and the ETA follow the budget (see <see cref="ProgressEstimate"/>).
    /// </summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>β of the displayed loss ℓ̄_k = (1 − β) Σ_{i≤k} β^{k−i} ℓ_i / (1 − β^k) (bias-corrected exponential average).</summary>
    public double LossSmoothing { get; init; } = 0.98;
    /// <summary>Plain mode: a line each time progress crosses a multiple of this many percent.</summary>
    public double PlainEveryPercent { get; init; } = 5;
    /// <summary>Plain mode: a line at least this often while steps are being reported.</summary>
    public TimeSpan PlainMaxInterval { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Plain-mode output; default <see cref="System.Console.Out"/>.</summary>
    public TextWriter? Output { get; init; }
    /// <summary>Live-mode console; default <see cref="AnsiConsole.Console"/>.</summary>
    public IAnsiConsole? Console { get; init; }
    /// <summary>The clock of elapsed times, rates and ETAs; default <see cref="TimeProvider.System"/> (tests pass a manual one).</summary>
    public TimeProvider? Clock { get; init; }
}
