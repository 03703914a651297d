using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Nabla.Cli.Viz;

/// <summary>
/// Progress display of a training loop: step/total, smoothed loss, extra metrics, it/s (and items/s), elapsed time
/// and ETA. <see cref="Report"/> only records numbers under a lock (no allocation, no I/O except a plain-mode line
/// every few percent), so it can be called every step from the training thread; a background thread redraws the
/// live bar. Typical use, with the command's Ctrl-C handler cancelling <c>ct</c>:
/// <code>
/// using var p = TrainingProgress.Start("ddpm train", totalSteps, new() { ItemsPerStep = batch }, ct);
/// for (long s = start; s &lt; totalSteps &amp;&amp; !ct.IsCancellationRequested; s++) { …; p.Report(s + 1, loss, ("lr", lr)); }
/// </code>
/// </summary>
public sealed partial class TrainingProgress : IDisposable
{
    const int RateSamples = 64;                                   // (time, step) samples ≥ 0.2 s apart: a ~13 s window

    readonly string name;
    readonly long total;
    readonly ProgressOptions options;
    readonly ProgressMode mode;
    readonly TextWriter? plainOut;
    readonly IAnsiConsole? console;
    readonly Lock gate = new();
    readonly TimeProvider clock;
    readonly long startTicks, sampleEvery;
    readonly double frequency;
    CancellationTokenRegistration cancelRegistration;
    readonly ManualResetEventSlim stop = new();
    readonly Thread? liveThread;

    // Guarded by gate.
    long step, reports, lastReportTicks;
    double lastLoss = double.NaN, lossAverage, lossWeight;
    string[] extraNames = new string[4];
    double[] extraValues = new double[4];
    int extraCount;
    readonly long[] sampleTicks = new long[RateSamples], sampleSteps = new long[RateSamples];
    int sampleCount, sampleHead;
    double nextPlainPercent;
    long lastPlainTicks;
    bool disposed, cancelled, liveFailed;

    TrainingProgress(string name, long total, ProgressOptions options, CancellationToken ct)
    {
        this.name = name;
        this.total = total;
        this.options = options;
        clock = options.Clock ?? TimeProvider.System;
        frequency = clock.TimestampFrequency;
        sampleEvery = clock.TimestampFrequency / 5;
        startTicks = clock.GetTimestamp();
        step = options.StartStep;
        lastReportTicks = startTicks;
        lastPlainTicks = startTicks;
        Push(startTicks, step);
        double pct = 100.0 * Estimate(startTicks).Fraction;
        nextPlainPercent = (Math.Floor(pct / options.PlainEveryPercent) + 1) * options.PlainEveryPercent;

        mode = options.Mode;
        if (mode == ProgressMode.Auto)
            mode = (options.Console is { } c ? c.Profile.Capabilities.Interactive
                    : !System.Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
                ? ProgressMode.Live : ProgressMode.Plain;
        if (mode == ProgressMode.Plain)
        {
            plainOut = options.Output ?? System.Console.Out;
            plainOut.WriteLine(FormattableString.Invariant($"{name}: {total:N0} steps{(step > 0 && options.Resumed ? $", resuming at step {step:N0}" : "")}"));
        }
        else if (mode == ProgressMode.Live)
        {
            console = options.Console ?? AnsiConsole.Console;
            liveThread = new Thread(RunLive) { IsBackground = true, Name = "nabla-progress" };
            liveThread.Start();
        }
        if (ct.CanBeCanceled)
            cancelRegistration = ct.Register(() => { lock (gate) cancelled = true; });
    }

    /// <summary>Starts a display for a run of <paramref name="totalSteps"/> steps (dispose it when the loop ends).</summary>
    public static TrainingProgress Start(string name, long totalSteps, ProgressOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (totalSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"TrainingProgress '{name}': totalSteps must be ≥ 1.");
        var o = options ?? new ProgressOptions();
        if (o.StartStep < 0 || o.StartStep > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(options), o.StartStep, $"TrainingProgress '{name}': StartStep must be in 0..{totalSteps}.");
        if (!(o.LossSmoothing >= 0 && o.LossSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(options), o.LossSmoothing, $"TrainingProgress '{name}': LossSmoothing must be in [0, 1).");
        if (!(o.PlainEveryPercent > 0 && o.PlainEveryPercent <= 100))
            throw new ArgumentOutOfRangeException(nameof(options), o.PlainEveryPercent, $"TrainingProgress '{name}': PlainEveryPercent must be in (0, 100].");
        if (o.TimeBudget is { } tb && tb < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), tb, $"TrainingProgress '{name}': TimeBudget must be ≥ 0.");
        if (!(o.ItemsPerStep >= 0) || double.IsInfinity(o.ItemsPerStep))
            throw new ArgumentOutOfRangeException(nameof(options), o.ItemsPerStep, $"TrainingProgress '{name}': ItemsPerStep must be ≥ 0.");
        return new TrainingProgress(name, totalSteps, o, cancellationToken);
    }

    /// <summary>The mode in use (Auto resolved).</summary>
    public ProgressMode Mode => mode;

    /// <summary>Bias-corrected exponential average of the reported losses (NaN before the first finite one).</summary>
    public double SmoothedLoss { get { lock (gate) return Smoothed(); } }

    /// <summary>Steps per second over the last ~10 s (over the whole run at first).</summary>
    public double StepsPerSecond { get { lock (gate) return Rate(); } }

    /// <summary>
    /// Records that <paramref name="step"/> steps are done (1 after the first), their latest loss and extra metrics
    /// such as <c>("acc", 0.91)</c>. Safe from any thread; cheap enough for every step.
    /// </summary>
    public void Report(long step, double loss, params ReadOnlySpan<(string Name, double Value)> extras)
    {
        long now = clock.GetTimestamp();
        string? line = null;
        lock (gate)
        {
            if (disposed) return;
            this.step = step;
            reports++;
            lastReportTicks = now;
            lastLoss = loss;
            if (double.IsFinite(loss))
            {
                double beta = options.LossSmoothing;
                lossAverage = beta * lossAverage + (1 - beta) * loss;
                lossWeight = beta * lossWeight + (1 - beta);
            }
            if (extras.Length > extraNames.Length)
            {
                Array.Resize(ref extraNames, extras.Length);
                Array.Resize(ref extraValues, extras.Length);
            }
            for (int i = 0; i < extras.Length; i++) { extraNames[i] = extras[i].Name; extraValues[i] = extras[i].Value; }
            extraCount = extras.Length;
            if (now - sampleTicks[(sampleHead + RateSamples - 1) % RateSamples] >= sampleEvery) Push(now, step);

            if (mode == ProgressMode.Plain || liveFailed)
            {
                double pct = 100.0 * Estimate(now).Fraction;
                bool crossed = pct >= nextPlainPercent;
                if (crossed || now - lastPlainTicks >= options.PlainMaxInterval.TotalSeconds * frequency)
                {
                    if (crossed) nextPlainPercent = (Math.Floor(pct / options.PlainEveryPercent) + 1) * options.PlainEveryPercent;
                    lastPlainTicks = now;
                    line = PlainLine(now, null);
                }
            }
        }
        if (line is not null) WritePlain(line);
    }

    /// <summary>Prints a message without breaking the display (above the live bar, or as a plain line).</summary>
    public void Log(string message)
    {
        if (mode == ProgressMode.Silent) return;
        if (mode == ProgressMode.Live && !liveFailed) console!.WriteLine(message);
        else WritePlain(message);
    }

    /// <summary>Stops the display and prints a final line (done, stopped early, or cancelled).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
        }
        cancelRegistration.Dispose();
        stop.Set();
        liveThread?.Join(TimeSpan.FromSeconds(5));
        string summary;
        lock (gate)
        {
            long now = clock.GetTimestamp();
            bool budgetSpent = options.TimeBudget is { } tb && Seconds(now - startTicks) >= tb.TotalSeconds;
            summary = PlainLine(now, step >= total ? "done" : cancelled ? "cancelled" : budgetSpent ? "time budget reached" : "stopped");
        }
        if (mode == ProgressMode.Live && !liveFailed) console!.WriteLine(summary);
        else if (mode != ProgressMode.Silent) WritePlain(summary);
        stop.Dispose();
    }

    void WritePlain(string line)
    {
        var o = plainOut ?? options.Output ?? System.Console.Out;
        lock (o) { o.WriteLine(line); o.Flush(); }
    }

    // ---- numbers (call under gate) ----

    double Smoothed() => lossWeight > 0 ? lossAverage / lossWeight : double.NaN;

    void Push(long ticks, long s)
    {
        sampleTicks[sampleHead] = ticks;
        sampleSteps[sampleHead] = s;
        sampleHead = (sampleHead + 1) % RateSamples;
        sampleCount = Math.Min(sampleCount + 1, RateSamples);
    }

    /// <summary>Δsteps / Δt between the oldest kept sample and the latest report.</summary>
    double Rate()
    {
        int oldest = (sampleHead - sampleCount + RateSamples) % RateSamples;
        double dt = Seconds(lastReportTicks - sampleTicks[oldest]);
        long ds = step - sampleSteps[oldest];
        if (dt > 0 && ds > 0) return ds / dt;
        dt = Seconds(lastReportTicks - startTicks);
        ds = step - options.StartStep;
        return dt > 0 && ds > 0 ? ds / dt : double.NaN;
    }

    /// <summary>Fraction done and ETA at <paramref name="now"/>, by steps or by the time budget (see <see cref="ProgressEstimate"/>).</summary>
    ProgressEstimate Estimate(long now) => ProgressEstimate.Of(step, total, Rate(), Seconds(now - startTicks), options.TimeBudget);

    double Seconds(long ticks) => ticks / frequency;

    /// <summary>"12.3 it/s  1,575 img/s"; with both = false only the items rate when there is one.</summary>
    string RatePart(double rate, bool both = true)
    {
        string items = options.ItemsPerStep > 0 ? $"{ProgressFormat.Rate(rate * options.ItemsPerStep)} {options.ItemName}/s" : "";
        if (items.Length > 0 && !both) return items;
        string steps = ProgressFormat.Rate(rate) + " it/s";
        return items.Length > 0 ? steps + "  " + items : steps;
    }

    void AppendExtras(StringBuilder sb)
    {
        for (int i = 0; i < extraCount; i++) sb.Append("  ").Append(extraNames[i]).Append(' ').Append(ProgressFormat.Value(extraValues[i]));
    }

    string PlainLine(long now, string? final)
    {
        double rate = Rate();
        var estimate = Estimate(now);
        var sb = new StringBuilder(name);
        if (final is not null) sb.Append(' ').Append(final).Append(':');
        sb.Append(CultureInfo.InvariantCulture, $"  step {step:N0}/{total:N0} ({100.0 * (final is null ? estimate.Fraction : (double)step / total):0}%)");
        if (reports > 0)
        {
            sb.Append("  loss ").Append(ProgressFormat.Value(Smoothed()));
            if (!double.IsFinite(lastLoss)) sb.Append(" (last ").Append(ProgressFormat.Value(lastLoss)).Append(')');
            AppendExtras(sb);
            sb.Append("  ").Append(RatePart(rate));
        }
        sb.Append("  elapsed ").Append(ProgressFormat.Time(Seconds(now - startTicks)));
        if (final is null)
        {
            sb.Append("  ETA ").Append(ProgressFormat.Time(estimate.EtaSeconds));
            if (estimate.BudgetBound) sb.Append(" (time budget)");
        }
        return sb.ToString();
    }
}
