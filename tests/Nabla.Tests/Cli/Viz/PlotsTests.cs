using Nabla.Cli.Viz;
using SkiaSharp;

namespace Nabla.Tests.Viz;

public sealed class PlotsTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "nabla-viz-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("NABLA_KEEP_TEST_PNGS") is null && Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    /// <summary>Decodes the PNG, checks its size, and returns the share of dark (text, tick, line) pixels.</summary>
    static double CheckPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        using var b = SKBitmap.Decode(path);
        Assert.NotNull(b);
        Assert.Equal((width, height), (b.Width, b.Height));
        int dark = 0;
        for (int y = 0; y < b.Height; y++)
            for (int x = 0; x < b.Width; x++)
                if (b.GetPixel(x, y).Red < 100) dark++;
        return (double)dark / (b.Width * b.Height);
    }

    /// <summary>Dark pixels in the left band where only the y label and tick labels live (text is visible).</summary>
    static int DarkInLeftBand(string path)
    {
        using var b = SKBitmap.Decode(path);
        int dark = 0;
        for (int y = 0; y < b.Height; y++)
            for (int x = 0; x < 30; x++)
                if (b.GetPixel(x, y).Red < 100) dark++;
        return dark;
    }

    [Fact]
    public void LossCurveWithMovingAverageAndLogScale()
    {
        var losses = new float[2000];
        var gen = new Generator(1);
        for (int i = 0; i < losses.Length; i++) losses[i] = 2f * MathF.Exp(-i / 300f) + 0.05f + 0.05f * (float)gen.NextDouble();
        losses[100] = float.NaN;                                   // left out, not fatal
        string path = Path.Combine(dir, "run", "loss.png");
        Plots.Loss(path, losses, new LossPlotOptions { Title = "ddpm train", LogY = true });
        Assert.True(CheckPng(path, 800, 450) > 0.002);
        Assert.True(DarkInLeftBand(path) > 30, "y-axis label should be drawn in the shipped font");

        string lin = Path.Combine(dir, "loss-linear.png");
        Plots.Loss(lin, losses, new LossPlotOptions { MovingAverage = 0, Width = 400, Height = 300 });
        Assert.True(CheckPng(lin, 400, 300) > 0.002);
    }

    [Fact]
    public void MultiSeriesPlotWritesAPng()
    {
        var epochs = new double[] { 1, 2, 3, 4, 5 };
        string path = Path.Combine(dir, "acc.png");
        Plots.Lines(path,
            [new Series("train", epochs, [0.80, 0.85, 0.88, 0.90, 0.91]), new Series("test", epochs, [0.79, 0.83, 0.85, 0.86, 0.865])],
            new PlotOptions { Title = "Fashion-MNIST MLP", XLabel = "epoch", YLabel = "accuracy" });
        Assert.True(CheckPng(path, 800, 450) > 0.002);
        Assert.True(DarkInLeftBand(path) > 30);
    }

    [Fact]
    public void EmptyOrAllNaNDataStillWritesAnAnnotatedPng()
    {
        string path = Path.Combine(dir, "nan.png");
        Plots.Loss(path, [float.NaN, float.PositiveInfinity]);
        Assert.True(CheckPng(path, 800, 450) > 0);
    }

    [Fact]
    public void MovingAverageIsTrailingMeanOfFiniteValues()
    {
        var m = Plots.MovingAverage([1, 2, 3, double.NaN, 5], 2);
        Assert.Equal([1, 1.5, 2.5, 3, 5], m);
        Assert.Throws<ArgumentOutOfRangeException>(() => Plots.MovingAverage([1.0], 0));
    }

    [Fact]
    public void ArgumentErrors()
    {
        string path = Path.Combine(dir, "bad.png");
        Assert.Throws<ArgumentException>(() => Plots.Loss(path, [1.0, 2.0], [1.0]));
        Assert.Throws<ArgumentException>(() => Plots.Lines(path, []));
        Assert.Throws<ArgumentException>(() => Plots.Lines(path, [new Series("a", [1.0], [1.0, 2.0])]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Plots.Loss(path, [1f], new LossPlotOptions { Width = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Plots.Loss(path, [1f], new LossPlotOptions { MovingAverage = -1 }));
        Assert.False(File.Exists(path));
    }
}
