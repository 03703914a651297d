namespace Nabla.Cli.Viz;

/// <summary>Per-step training series drawn against epochs: the x axis and the display smoothing of a noisy per-step value.</summary>
public static class EpochSeries
{
    /// <summary>Trailing moving average over per-step values, a tenth of an epoch wide (at most a fifth of the series).</summary>
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
