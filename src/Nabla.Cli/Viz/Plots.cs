using System.Globalization;
using ScottPlot;

namespace Nabla.Cli.Viz;

/// <summary>Text, size and scale of a line plot.</summary>
public record PlotOptions
{
    public string? Title { get; init; }
    public string XLabel { get; init; } = "step";
    public string YLabel { get; init; } = "value";
    /// <summary>Logarithmic y axis (points with y ≤ 0 are left out).</summary>
    public bool LogY { get; init; }
    public int Width { get; init; } = 800;
    public int Height { get; init; } = 450;
}

/// <summary>Options of <see cref="Plots.Loss(string, IReadOnlyList{float}, LossPlotOptions?)"/>.</summary>
public sealed record LossPlotOptions : PlotOptions
{
    public LossPlotOptions() => YLabel = "loss";

    /// <summary>
    /// Window k of the trailing moving average m_i = mean(y_{i−k+1..i}) drawn over the raw curve;
    /// null picks ⌈n/50⌉ (none below 100 points), 0 or 1 draws none.
    /// </summary>
    public int? MovingAverage { get; init; }
}

/// <summary>One named curve of a multi-series plot (train/test accuracy, ELBO terms…).</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>A curve over x = 1, 2, …, n.</summary>
    public static Series Of(string name, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(y);
        var x = new double[y.Count];
        for (int i = 0; i < x.Length; i++) x[i] = i + 1;
        return new Series(name, x, y);
    }
}

/// <summary>
/// Line plots written as PNG with ScottPlot 5 in the shipped font (<see cref="Fonts"/>): loss curves with a
/// moving average, and multi-series plots. Non-finite points are left out (they would break the axes).
/// </summary>
public static class Plots
{
    /// <summary>Loss curve of losses[i] at step i + 1.</summary>
    public static void Loss(string path, IReadOnlyList<float> losses, LossPlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var x = new double[losses.Count];
        var y = new double[losses.Count];
        for (int i = 0; i < x.Length; i++) { x[i] = i + 1; y[i] = losses[i]; }
        Loss(path, x, y, options);
    }

    /// <summary>Loss curve of losses[i] at steps[i] (e.g. logged every k steps).</summary>
    public static void Loss(string path, IReadOnlyList<double> steps, IReadOnlyList<double> losses, LossPlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(losses);
        if (steps.Count != losses.Count)
            throw new ArgumentException($"Plots.Loss: {steps.Count} steps but {losses.Count} losses.", nameof(losses));
        var o = options ?? new LossPlotOptions();
        int n = losses.Count;
        int window = o.MovingAverage ?? (n >= 100 ? (n + 49) / 50 : 0);
        if (window < 0) throw new ArgumentOutOfRangeException(nameof(options), window, "Plots.Loss: MovingAverage must be ≥ 0.");
        var series = new List<Series> { new("loss", steps, losses) };
        if (window > 1)
            series.Add(new Series($"moving average ({window.ToString(CultureInfo.InvariantCulture)} steps)", steps, MovingAverage(losses, window)));
        Render(path, series, o, rawFirst: window > 1);
    }

    /// <summary>Several named curves on one pair of axes, with a legend.</summary>
    public static void Lines(string path, IEnumerable<Series> series, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var list = series.ToList();
        if (list.Count == 0) throw new ArgumentException("Plots.Lines: no series given.", nameof(series));
        foreach (var s in list)
        {
            ArgumentNullException.ThrowIfNull(s);
            if (s.X is null || s.Y is null || s.X.Count != s.Y.Count)
                throw new ArgumentException($"Plots.Lines: series '{s.Name}' has {s.X?.Count} x values but {s.Y?.Count} y values.", nameof(series));
        }
        Render(path, list, options ?? new PlotOptions(), rawFirst: false);
    }

    /// <summary>Trailing moving average m_i = mean of the finite y_j, j ∈ [i − k + 1, i] (NaN when none is finite).</summary>
    public static double[] MovingAverage(IReadOnlyList<double> y, int window)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "Plots.MovingAverage: window must be ≥ 1.");
        var m = new double[y.Count];
        double sum = 0;
        int count = 0;
        for (int i = 0; i < y.Count; i++)
        {
            if (double.IsFinite(y[i])) { sum += y[i]; count++; }
            if (i >= window && double.IsFinite(y[i - window])) { sum -= y[i - window]; count--; }
            m[i] = count > 0 ? sum / count : double.NaN;
        }
        return m;
    }

    static void Render(string path, List<Series> series, PlotOptions o, bool rawFirst)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (o.Width < 50 || o.Height < 50 || o.Width > 10000 || o.Height > 10000)
            throw new ArgumentOutOfRangeException(nameof(o), $"Plots: size must be within 50..10000 pixels, got {o.Width}×{o.Height}.");

        Fonts.RegisterWithScottPlot();
        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        bool anyPoint = false;
        double yMin = double.PositiveInfinity, yMax = double.NegativeInfinity;
        for (int k = 0; k < series.Count; k++)
        {
            var (xs, ys) = Finite(series[k], o.LogY);
            if (xs.Length == 0) continue;
            anyPoint = true;
            foreach (double v in ys) { yMin = Math.Min(yMin, v); yMax = Math.Max(yMax, v); }
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = series[k].Name;
            line.MarkerSize = xs.Length == 1 ? 5 : 0;
            if (rawFirst && k == 0)
            {
                line.Color = palette.GetColor(0).WithAlpha(0.35);
                line.LineWidth = 1;
            }
            else
            {
                line.Color = palette.GetColor(rawFirst ? k - 1 : k);
                line.LineWidth = 2;
            }
        }

        if (!string.IsNullOrEmpty(o.Title)) plot.Title(o.Title);
        plot.XLabel(o.XLabel ?? "");
        plot.YLabel(o.LogY ? $"{o.YLabel} (log scale)" : o.YLabel ?? "");
        if (o.LogY && anyPoint) UseLogTicks(plot, yMin, yMax);
        if (!anyPoint)
            plot.Add.Annotation(o.LogY ? "no positive finite values to plot" : "no finite values to plot");
        // A falling loss leaves the upper right empty; other curves get their legend outside the data area.
        if (series.Count > 1)
        {
            if (rawFirst) plot.ShowLegend(Alignment.UpperRight);
            else plot.ShowLegend(Edge.Right);
        }
        Fonts.ApplyTo(plot);

        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        plot.SavePng(full, o.Width, o.Height);
    }

    /// <summary>The finite points of a series (and, for a log axis, the positive ones, as log₁₀ y).</summary>
    static (double[] X, double[] Y) Finite(Series s, bool logY)
    {
        var xs = new List<double>(s.X.Count);
        var ys = new List<double>(s.Y.Count);
        for (int i = 0; i < s.X.Count; i++)
        {
            double x = s.X[i], y = s.Y[i];
            if (!double.IsFinite(x) || !double.IsFinite(y) || (logY && y <= 0)) continue;
            xs.Add(x);
            ys.Add(logY ? Math.Log10(y) : y);
        }
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>
    /// Y ticks for data plotted as log₁₀ y: majors at 1·10^k (wide ranges), 1, 2, 5·10^k (a few decades) or
    /// 1…9·10^k (about one decade), minors at the other m·10^k; automatic ticks labelled 10^v for narrow ranges.
    /// </summary>
    static void UseLogTicks(Plot plot, double lo, double hi)
    {
        double span = hi - lo;
        if (span < 0.3)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
            };
            return;
        }
        int every = span >= 4 ? 1 : span >= 1.2 ? 3 : 9;      // 1 | 1, 2, 5 | 1…9
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int k = (int)Math.Floor(lo) - 1; k <= (int)Math.Ceiling(hi); k++)
            for (int m = 1; m <= 9; m++)
            {
                double v = k + Math.Log10(m);
                if (v < lo - 0.5 || v > hi + 0.5) continue;
                bool major = every == 9 || m == 1 || (every == 3 && (m == 2 || m == 5));
                if (major) ticks.AddMajor(v, (m * Math.Pow(10, k)).ToString("G3", CultureInfo.InvariantCulture));
                else ticks.AddMinor(v);
            }
        plot.Axes.Left.TickGenerator = ticks;
    }
}
