using Nabla.Cli.Viz;
using SkiaSharp;

namespace Nabla.Tests.Viz;

public sealed class ImageGridTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "nabla-viz-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("NABLA_KEEP_TEST_PNGS") is null && Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    static SKBitmap Decode(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bmp = SKBitmap.Decode(path);
        Assert.NotNull(bmp);
        return bmp;
    }

    static byte GrayAt(SKBitmap b, int x, int y)
    {
        var c = b.GetPixel(x, y);
        Assert.Equal(c.Red, c.Green);
        Assert.Equal(c.Red, c.Blue);
        return c.Red;
    }

    /// <summary>Count of pixels in a rectangle that are clearly darker than the white background (drawn text).</summary>
    static int DarkPixels(SKBitmap b, int x0, int y0, int x1, int y1)
    {
        int count = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (b.GetPixel(x, y).Red < 128) count++;
        return count;
    }

    [Fact]
    public void GridHasExpectedSizeAndGrayLevelsLandInTheirCells()
    {
        // 5 images of 3×4 pixels, image i pixel (y, x) = value chosen to be distinct and exactly representable.
        int n = 5, h = 3, w = 4, cols = 3, scale = 2, pad = 1;
        var data = new float[n * h * w];
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    data[(i * h + y) * w + x] = (i * 12 + y * 4 + x) / 59f;          // in [0, 1]
        string path = Path.Combine(dir, "sub", "grid.png");                          // folder is created
        ImageGrid.Save(path, data, n, h, w, new GridOptions { Columns = cols, Scale = scale, Padding = pad, Range = PixelRange.ZeroToOne });

        using var b = Decode(path);
        int rows = 2;
        Assert.Equal(cols * w * scale + (cols + 1) * pad, b.Width);
        Assert.Equal(rows * h * scale + (rows + 1) * pad, b.Height);
        for (int i = 0; i < n; i++)
        {
            int x0 = pad + (i % cols) * (w * scale + pad), y0 = pad + (i / cols) * (h * scale + pad);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    byte expected = (byte)MathF.Round(data[(i * h + y) * w + x] * 255f);
                    for (int s = 0; s < scale * scale; s++)
                        Assert.Equal(expected, GrayAt(b, x0 + x * scale + s % scale, y0 + y * scale + s / scale));
                }
        }
        // Padding and the unused sixth cell stay white.
        Assert.Equal(255, GrayAt(b, 0, 0));
        Assert.Equal(255, GrayAt(b, b.Width - 2, b.Height - 2));
    }

    [Fact]
    public void RangesMapMinusOneToBlackAndOneToWhite()
    {
        var t = Tensor.FromArray(new float[] { -1f, 0f, 1f, 2f }, 1, 1, 1, 4);
        string path = Path.Combine(dir, "range.png");
        ImageGrid.Save(path, t, new GridOptions { Scale = 1, Padding = 0, Range = PixelRange.MinusOneToOne });
        using var b = Decode(path);
        Assert.Equal((4, 1), (b.Width, b.Height));
        Assert.Equal(0, GrayAt(b, 0, 0));
        Assert.Equal(128, GrayAt(b, 1, 0));   // (0 + 1) / 2 · 255 = 127.5 → 128
        Assert.Equal(255, GrayAt(b, 2, 0));
        Assert.Equal(255, GrayAt(b, 3, 0));   // clamped

        // Auto picks [−1, 1] because of the negative value; per-image min-max stretches 2..4 to black..white.
        ImageGrid.Save(path, t, new GridOptions { Scale = 1, Padding = 0 });
        using (var auto = Decode(path)) Assert.Equal(128, GrayAt(auto, 1, 0));
        ImageGrid.Save(path, new float[] { 2f, 3f, 4f }, 1, 1, 3, new GridOptions { Scale = 1, Padding = 0, Range = PixelRange.PerImageMinMax });
        using var mm = Decode(path);
        Assert.Equal(new byte[] { 0, 128, 255 }, new[] { GrayAt(mm, 0, 0), GrayAt(mm, 1, 0), GrayAt(mm, 2, 0) });
    }

    [Fact]
    public void NaNPixelsAreMagenta()
    {
        string path = Path.Combine(dir, "nan.png");
        ImageGrid.Save(path, new[] { float.NaN, 0.5f }, 1, 1, 2, new GridOptions { Scale = 1, Padding = 0, Range = PixelRange.ZeroToOne });
        using var b = Decode(path);
        Assert.Equal(new SKColor(255, 0, 255), b.GetPixel(0, 0));
    }

    [Fact]
    public void RowLabelsAndTitleAreDrawnAndShiftTheCells()
    {
        // Conditional-sample layout: one row per class, its name at the left.
        string[] classes = ["T-shirt/top", "Trouser", "Sneaker"];
        int perClass = 4, h = 28, w = 28;
        var images = Tensor.Zeros(classes.Length * perClass, 1, h, w);      // all black in [0, 1]
        string path = Path.Combine(dir, "classes.png");
        ImageGrid.Save(path, images, new GridOptions { Columns = perClass, RowLabels = classes, Title = "Conditional samples", Range = PixelRange.ZeroToOne });

        using var b = Decode(path);
        int cellW = 2 * w, gridW = perClass * cellW + (perClass + 1) * 2;
        int leftW = b.Width - gridW;
        Assert.True(leftW > 40, $"label column should be wide enough for 'T-shirt/top', got {leftW}px");
        int top = b.Height - (classes.Length * 2 * h + (classes.Length + 1) * 2);
        Assert.True(top > 10, $"title band expected, got {top}px");
        // Text pixels in the label column of each row and in the title band; the first cell starts black right after the labels.
        for (int r = 0; r < classes.Length; r++)
        {
            int y0 = top + 2 + r * (2 * h + 2);
            Assert.True(DarkPixels(b, 0, y0, leftW, y0 + 2 * h) > 20, $"row label {r} not visible");
        }
        Assert.True(DarkPixels(b, 0, 0, b.Width, top) > 20, "title not visible");
        Assert.Equal(0, GrayAt(b, leftW + 2, top + 2));
        Assert.Equal(255, GrayAt(b, leftW, top + 2));
    }

    [Fact]
    public void TrajectoryPutsTimestepsInColumnsWithLabels()
    {
        // Three snapshots of two 2×2 samples; snapshot j is constant j/2 so each column has one gray level.
        var snaps = new List<Tensor>();
        for (int j = 0; j < 3; j++) snaps.Add(Tensor.Full(j / 2f, 2, 1, 2, 2));
        string path = Path.Combine(dir, "traj.png");
        ImageGrid.SaveTrajectory(path, snaps, [999, 500, 0], new GridOptions { Scale = 25, Padding = 2, Range = PixelRange.ZeroToOne });

        using var b = Decode(path);
        int cell = 50, pad = 2;                                    // wide enough for "t=999": columns are not widened
        Assert.Equal(3 * cell + 4 * pad, b.Width);
        int top = b.Height - (2 * cell + 3 * pad);
        Assert.True(top > 8, "column-label band expected");
        Assert.True(DarkPixels(b, 0, 0, b.Width, top) > 10, "t= labels not visible");
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal((byte)MathF.Round(j / 2f * 255), GrayAt(b, pad + j * (cell + pad) + 5, top + pad + i * (cell + pad) + 5));
    }

    [Fact]
    public void ColumnsWidenSoLabelsFitTinyCells()
    {
        string path = Path.Combine(dir, "tiny.png");
        ImageGrid.SaveTrajectory(path, [Tensor.Zeros(1, 1, 2, 2), Tensor.Ones(1, 1, 2, 2)], [999, 0],
            new GridOptions { Scale = 1, Padding = 1, Range = PixelRange.ZeroToOne });
        using var b = Decode(path);
        using var font = Nabla.Cli.Viz.Fonts.CreateFont(10);
        float label = font.MeasureText("t=999");
        Assert.True(b.Width >= 2 * label, $"width {b.Width} too small for two labels of {label}px");
        // Each 2×2 image sits centred in its widened column.
        int colW = (b.Width - 3) / 2, top = b.Height - 4;
        Assert.Equal(0, GrayAt(b, 1 + (colW - 2) / 2, top + 1));
        Assert.Equal(255, GrayAt(b, 1 + colW + 1 + (colW - 2) / 2, top + 1));
    }

    [Fact]
    public void InterpolationAndCellLabelsRender()
    {
        var gen = new Generator(3);
        var strips = Tensor.Rand(gen, 2 * 5, 1, 8, 8);
        string path = Path.Combine(dir, "interp.png");
        ImageGrid.SaveInterpolation(path, strips, 5, new GridOptions { Scale = 4, Title = "z₀ → z₁", RowLabels = ["a", "b"] });
        using (var b = Decode(path)) Assert.True(b.Width > 5 * 32 && b.Height > 2 * 32);

        string path2 = Path.Combine(dir, "cells.png");
        var labels = Enumerable.Range(0, 10).Select(i => $"class {i}").ToArray();
        ImageGrid.Save(path2, strips, new GridOptions { Columns = 5, Scale = 4, CellLabels = labels, Range = PixelRange.ZeroToOne });
        using var c = Decode(path2);
        Assert.True(c.Width >= 5 * 32 + 6 * 2);
        Assert.True(c.Height > 2 * 32 + 3 * 2, "cell-label lines expected below each row");
        Assert.True(DarkPixels(c, 0, 2 + 32, c.Width, 2 + 32 + (c.Height - 2 * 32 - 6) / 2) > 10, "cell labels not visible");
    }

    [Fact]
    public void ArgumentErrorsNameTheProblem()
    {
        string path = Path.Combine(dir, "bad.png");
        var ex = Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, new float[5], 1, 2, 2));
        Assert.Contains("need 4 values, got 5", ex.Message);
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, Tensor.Zeros(2, 3, 4, 4)));            // 3 channels
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, new float[8], 2, 2, 2, new GridOptions { CellLabels = ["one"] }));
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, new float[8], 2, 2, 2, new GridOptions { Columns = 1, RowLabels = ["one"] }));
        Assert.Throws<ArgumentException>(() => ImageGrid.Save(path, new float[8], 2, 2, 2, new GridOptions { ColumnLabels = ["a", "b", "c"] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Save(path, new float[4], 1, 2, 2, new GridOptions { Scale = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Save(path, new float[4], 1, 2, 2, new GridOptions { Padding = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Save(path, ReadOnlySpan<float>.Empty, 0, 2, 2));
        Assert.Throws<ArgumentException>(() => ImageGrid.SaveTrajectory(path, [Tensor.Zeros(1, 1, 2, 2)], [1, 2]));
        Assert.Throws<ArgumentException>(() => ImageGrid.SaveTrajectory(path, [Tensor.Zeros(1, 1, 2, 2), Tensor.Zeros(2, 1, 2, 2)], [1, 2]));
        Assert.Throws<ArgumentException>(() => ImageGrid.SaveInterpolation(path, Tensor.Zeros(5, 1, 2, 2), 2));
        Assert.False(File.Exists(path));
    }
}
