using System.Globalization;
using ScottPlot;

namespace Nabla.Cli.Viz;

/// <summary>
/// PNG pictures of the probabilistic models (ScottPlot 5, the shipped font via <see cref="Fonts"/>):
/// a Gaussian mixture's points coloured by component with 1σ/2σ ellipses, and an AR forecast with its interval band.
/// </summary>
public static class ProbPlots
{
    /// <summary>
    /// Points (first two columns) coloured by their most probable component, each component's mean and the
    /// ellipses {x : (x − μ)ᵀ Σ₂⁻¹ (x − μ) = c²} for c = 1, 2, where Σ₂ is the top-left 2×2 block of Σ_k
    /// (the marginal of the first two dimensions).
    /// </summary>
    public static void Mixture(string path, double[,] x, int[] labels, double[] weights, double[,] means, Func<int, double[,]> covariance,
        string xLabel, string yLabel, string title, int width = 900, int height = 700)
    {
        int n = x.GetLength(0), k = weights.Length;
        if (x.GetLength(1) < 2) throw new ArgumentException("ProbPlots.Mixture: the plot needs at least two data columns", nameof(x));
        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int c = 0; c < k; c++)
        {
            var color = palette.GetColor(c);
            var xs = new List<double>(); var ys = new List<double>();
            for (int i = 0; i < n; i++) if (labels[i] == c) { xs.Add(x[i, 0]); ys.Add(x[i, 1]); }
            var pts = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            pts.Color = color.WithAlpha(0.55);
            pts.MarkerSize = n > 2000 ? 3 : 6;
            pts.LegendText = string.Create(CultureInfo.InvariantCulture, $"component {c} (π = {weights[c]:0.###}, {xs.Count} points)");
            var cov = covariance(c);
            for (int s = 1; s <= 2; s++)
            {
                var (ex, ey) = Ellipse(means[c, 0], means[c, 1], cov[0, 0], cov[0, 1], cov[1, 1], s);
                var line = plot.Add.ScatterLine(ex, ey);
                line.Color = color;
                line.LineWidth = s == 1 ? 2 : 1.5f;
                line.LinePattern = s == 1 ? LinePattern.Solid : LinePattern.Dashed;
                line.MarkerSize = 0;
            }
            var m = plot.Add.Marker(means[c, 0], means[c, 1]);
            m.Color = Colors.Black;
            m.MarkerShape = MarkerShape.Cross;
            m.Size = 12;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        Fonts.ApplyTo(plot);
        Save(plot, path, width, height);
    }

    /// <summary>Points of the ellipse μ + s (√λ₁ cos t v₁ + √λ₂ sin t v₂) of a 2×2 covariance [[a, b], [b, c]].</summary>
    internal static (double[] X, double[] Y) Ellipse(double mx, double my, double a, double b, double c, double s, int points = 100)
    {
        double tr = a + c, det = a * c - b * b;
        double disc = Math.Sqrt(Math.Max(0, tr * tr / 4 - det));
        double l1 = tr / 2 + disc, l2 = Math.Max(0, tr / 2 - disc);
        double angle = Math.Abs(b) > 1e-300 ? Math.Atan2(l1 - a, b) : (a >= c ? 0 : Math.PI / 2);
        double ca = Math.Cos(angle), sa = Math.Sin(angle);
        double r1 = s * Math.Sqrt(l1), r2 = s * Math.Sqrt(l2);
        var xs = new double[points + 1]; var ys = new double[points + 1];
        for (int i = 0; i <= points; i++)
        {
            double t = 2 * Math.PI * i / points;
            double u = r1 * Math.Cos(t), v = r2 * Math.Sin(t);
            xs[i] = mx + u * ca - v * sa;
            ys[i] = my + u * sa + v * ca;
        }
        return (xs, ys);
    }

    /// <summary>History (time, value), forecasts from the step after the last time, and the interval band [lower, upper].</summary>
    public static void Forecast(string path, double[] time, double[] history, double[] forecastTime, double[] mean, double[] lower, double[] upper,
        string yLabel, string xLabel, string title, string bandLabel, int width = 1000, int height = 500)
    {
        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        // the band and the forecast start at the last observation so the curves join up
        var ft = new double[mean.Length + 1]; var fm = new double[mean.Length + 1];
        var lo = new double[mean.Length + 1]; var hi = new double[mean.Length + 1];
        ft[0] = time[^1]; fm[0] = lo[0] = hi[0] = history[^1];
        for (int i = 0; i < mean.Length; i++) { ft[i + 1] = forecastTime[i]; fm[i + 1] = mean[i]; lo[i + 1] = lower[i]; hi[i + 1] = upper[i]; }
        var band = plot.Add.FillY(ft, lo, hi);
        band.FillColor = palette.GetColor(1).WithAlpha(0.25);
        band.LineColor = palette.GetColor(1).WithAlpha(0.5);
        band.LegendText = bandLabel;
        var h = plot.Add.ScatterLine(time, history);
        h.Color = palette.GetColor(0);
        h.LineWidth = 1.5f;
        h.MarkerSize = 0;
        h.LegendText = "observed";
        var f = plot.Add.ScatterLine(ft, fm);
        f.Color = palette.GetColor(1);
        f.LineWidth = 2;
        f.MarkerSize = 4;
        f.LegendText = "forecast";
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Bottom);
        // plain numbers on the time axis (no thousands separator in years)
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0.###", CultureInfo.InvariantCulture),
        };
        Fonts.ApplyTo(plot);
        Save(plot, path, width, height);
    }

    static void Save(Plot plot, string path, int width, int height)
    {
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        plot.SavePng(full, width, height);
    }
}
