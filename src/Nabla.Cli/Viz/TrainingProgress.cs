using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

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
    /// <summary>β of the displayed loss ℓ̄_k = (1 − β) Σ_{i≤k} β^{k−i} ℓ_i / (1 − β^k) (bias-corrected exponential average).</summary>
    public double LossSmoothing { get; init; } = 0.98;
    /// <summary>Plain mode: a line each time progress crosses a multiple of this many percent.</summary>
    public double PlainEveryPercent { get; init; } = 5;
    /// <summary>Plain mode: a line at least this often while steps are being reported.</summary>
    public TimeSpan PlainMaxInterval { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Plain-mode output; default <see cref="Console.Out"/>.</summary>
    public TextWriter? Output { get; init; }
    /// <summary>Live-mode console; default <see cref="AnsiConsole.Console"/>.</summary>
    public IAnsiConsole? Console { get; init; }
}

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
public sealed class TrainingProgress : IDisposable
{
    const int RateSamples = 64;                                   // (time, step) samples ≥ 0.2 s apart: a ~13 s window
    static readonly long SampleEvery = Stopwatch.Frequency / 5;

    readonly string name;
    readonly long total;
    readonly ProgressOptions options;
    readonly ProgressMode mode;
    readonly TextWriter? plainOut;
    readonly IAnsiConsole? console;
    readonly Lock gate = new();
    readonly long startTicks = Stopwatch.GetTimestamp();
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
        step = options.StartStep;
        lastReportTicks = startTicks;
        lastPlainTicks = startTicks;
        Push(startTicks, step);
        double pct = 100.0 * step / total;
        nextPlainPercent = (Math.Floor(pct / options.PlainEveryPercent) + 1) * options.PlainEveryPercent;

        mode = options.Mode;
        if (mode == ProgressMode.Auto)
            mode = (options.Console is { } c ? c.Profile.Capabilities.Interactive
                    : !System.Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
                ? ProgressMode.Live : ProgressMode.Plain;
        if (mode == ProgressMode.Plain)
        {
            plainOut = options.Output ?? System.Console.Out;
            plainOut.WriteLine(FormattableString.Invariant($"{name}: {total:N0} steps{(step > 0 ? $", resuming at step {step:N0}" : "")}"));
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
        long now = Stopwatch.GetTimestamp();
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
            if (now - sampleTicks[(sampleHead + RateSamples - 1) % RateSamples] >= SampleEvery) Push(now, step);

            if (mode == ProgressMode.Plain || liveFailed)
            {
                double pct = 100.0 * step / total;
                bool crossed = pct >= nextPlainPercent;
                if (crossed || now - lastPlainTicks >= options.PlainMaxInterval.TotalSeconds * Stopwatch.Frequency)
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
        lock (gate) summary = PlainLine(Stopwatch.GetTimestamp(), step >= total ? "done" : cancelled ? "cancelled" : "stopped");
        if (mode == ProgressMode.Live && !liveFailed) console!.WriteLine(summary);
        else if (mode != ProgressMode.Silent) WritePlain(summary);
        stop.Dispose();
    }

    void WritePlain(string line)
    {
        var o = plainOut ?? options.Output ?? System.Console.Out;
        lock (o) { o.WriteLine(line); o.Flush(); }
    }

    // ---- live display (background thread) ----

    void RunLive()
    {
        try
        {
            // One row that fits the terminal: the bar takes what the text columns leave (10–40 cells).
            int width = console!.Profile.Width;
            bool wide = width >= 120;
            int textWidth = name.Length + 2 * total.ToString("N0", CultureInfo.InvariantCulture).Length + 1
                + 13 + 11                                        // "loss 0.01234" and one extra metric
                + (wide && options.ItemsPerStep > 0 ? 26 : 14)   // rate(s)
                + 13 + 6;                                        // "00:00 < 00:00" and column gaps
            var columns = new List<ProgressColumn>
            {
                new TaskDescriptionColumn(),
                new ProgressBarColumn { Width = Math.Clamp(width - textWidth - (wide ? 5 : 0), 10, 40) },
            };
            if (wide) columns.Add(new PercentageColumn());
            columns.Add(new FuncColumn(StepText, new Style(Color.Grey)));
            columns.Add(new FuncColumn(MetricsText, new Style(Color.Yellow)));
            columns.Add(new FuncColumn(() => RateText(both: wide), new Style(Color.Green)));
            columns.Add(new FuncColumn(TimeText, new Style(Color.Blue)));
            var progress = console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(columns.ToArray());
            progress.RefreshRate = TimeSpan.FromMilliseconds(100);
            progress.Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(name), maxValue: total);
                do
                {
                    lock (gate) task.Value = Math.Min(step, total);
                } while (!stop.Wait(100));
                lock (gate) task.Value = Math.Min(step, total);
                ctx.Refresh();
            });
        }
        catch (Exception e)
        {
            // E.g. another live display already running: fall back to plain lines rather than lose the progress.
            lock (gate) liveFailed = true;
            WritePlain($"{name}: live progress unavailable ({e.Message}); printing summary lines instead");
        }
    }

    string StepText() { lock (gate) return FormattableString.Invariant($"{step:N0}/{total:N0}"); }

    string MetricsText()
    {
        lock (gate)
        {
            var sb = new StringBuilder("loss ").Append(FormatValue(Smoothed()));
            AppendExtras(sb);
            return sb.ToString();
        }
    }

    string RateText(bool both) { lock (gate) return RatePart(Rate(), both); }

    string TimeText()
    {
        lock (gate)
        {
            long now = Stopwatch.GetTimestamp();
            return $"{FormatTime(Seconds(now - startTicks))} < {FormatTime(Eta(Rate()))}";
        }
    }

    /// <summary>A progress column whose text comes from a function, called at each redraw.</summary>
    sealed class FuncColumn(Func<string> text, Style style) : ProgressColumn
    {
        protected override bool NoWrap => true;
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(text(), style);
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

    double Eta(double rate) => step >= total ? 0 : rate > 0 ? (total - step) / rate : double.NaN;

    static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    /// <summary>"12.3 it/s  1,575 img/s"; with both = false only the items rate when there is one.</summary>
    string RatePart(double rate, bool both = true)
    {
        string items = options.ItemsPerStep > 0 ? $"{FormatRate(rate * options.ItemsPerStep)} {options.ItemName}/s" : "";
        if (items.Length > 0 && !both) return items;
        string steps = FormatRate(rate) + " it/s";
        return items.Length > 0 ? steps + "  " + items : steps;
    }

    void AppendExtras(StringBuilder sb)
    {
        for (int i = 0; i < extraCount; i++) sb.Append("  ").Append(extraNames[i]).Append(' ').Append(FormatValue(extraValues[i]));
    }

    string PlainLine(long now, string? final)
    {
        double rate = Rate();
        var sb = new StringBuilder(name);
        if (final is not null) sb.Append(' ').Append(final).Append(':');
        sb.Append(CultureInfo.InvariantCulture, $"  step {step:N0}/{total:N0} ({100.0 * step / total:0}%)");
        if (reports > 0)
        {
            sb.Append("  loss ").Append(FormatValue(Smoothed()));
            if (!double.IsFinite(lastLoss)) sb.Append(" (last ").Append(FormatValue(lastLoss)).Append(')');
            AppendExtras(sb);
            sb.Append("  ").Append(RatePart(rate));
        }
        sb.Append("  elapsed ").Append(FormatTime(Seconds(now - startTicks)));
        if (final is null) sb.Append("  ETA ").Append(FormatTime(Eta(rate)));
        return sb.ToString();
    }

    /// <summary>4 significant digits; thousands separators from 10 000; scientific below 0.001.</summary>
    public static string FormatValue(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsInfinity(v)) return v > 0 ? "∞" : "-∞";
        double a = Math.Abs(v);
        if (a >= 10_000) return v.ToString("N0", CultureInfo.InvariantCulture);
        if (a >= 1e-3 || a == 0) return v.ToString("G4", CultureInfo.InvariantCulture);
        return v.ToString("0.##e+0", CultureInfo.InvariantCulture);
    }

    static string FormatRate(double r) =>
        double.IsNaN(r) ? "–" : r >= 100 ? r.ToString("N0", CultureInfo.InvariantCulture) : r.ToString(r >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    /// <summary>"mm:ss", "h:mm:ss" or "Nd hh:mm:ss"; "--:--" when unknown.</summary>
    public static string FormatTime(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds < 0 || seconds > 1e8) return "--:--";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        if (t.TotalDays >= 1) return $"{(int)t.TotalDays}d {t:hh\\:mm\\:ss}";
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : t.ToString("mm\\:ss", CultureInfo.InvariantCulture);
    }
}
