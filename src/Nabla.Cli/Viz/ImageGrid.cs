using System.Globalization;
using SkiaSharp;

namespace Nabla.Cli.Viz;

/// <summary>How pixel values map to gray levels (0 = black, 1 = white).</summary>
public enum PixelRange
{
    /// <summary>[−1, 1] when any value is negative, otherwise [0, 1]. Prefer an explicit range for model samples.</summary>
    Auto,
    /// <summary>v ↦ (v + 1) / 2, clamped: the data range of diffusion models and tanh decoders.</summary>
    MinusOneToOne,
    /// <summary>v ↦ v, clamped: probabilities, sigmoid decoders, raw pixels / 255.</summary>
    ZeroToOne,
    /// <summary>Each image stretched from its own minimum to its own maximum (noise, weights, feature maps).</summary>
    PerImageMinMax,
}

/// <summary>Layout and text of a picture grid. Every property has a sensible default.</summary>
public sealed record GridOptions
{
    /// <summary>Images per row; 0 picks ⌈√N⌉ (or the number of column labels when those are given).</summary>
    public int Columns { get; init; }
    /// <summary>Each image pixel becomes a Scale × Scale block (nearest neighbour, so pixels stay crisp).</summary>
    public int Scale { get; init; } = 2;
    /// <summary>Pixels of background between cells and around the grid.</summary>
    public int Padding { get; init; } = 2;
    /// <summary>Value-to-gray mapping.</summary>
    public PixelRange Range { get; init; } = PixelRange.Auto;
    /// <summary>Optional text under each image (one per image), e.g. predicted classes.</summary>
    public IReadOnlyList<string>? CellLabels { get; init; }
    /// <summary>Optional text left of each row (one per row), e.g. the class of a row of conditional samples.</summary>
    public IReadOnlyList<string>? RowLabels { get; init; }
    /// <summary>Optional text above each column (one per column), e.g. "t=999" for trajectories.</summary>
    public IReadOnlyList<string>? ColumnLabels { get; init; }
    /// <summary>Optional title above the grid.</summary>
    public string? Title { get; init; }
    /// <summary>Label size in pixels; 0 picks one from the cell height (10–16 px).</summary>
    public float FontSize { get; init; }
}

/// <summary>
/// PNG grids of grayscale images: sample sheets, class-conditional sheets (one row per class, name at the
/// left), diffusion trajectories (rows = samples, columns = timesteps) and interpolation strips. Text is drawn
/// with the shipped font (<see cref="Fonts"/>). NaN pixels are drawn magenta so they cannot pass for black.
/// </summary>
public static class ImageGrid
{
    static readonly SKColor Background = SKColors.White;
    static readonly SKColor TextColor = new(0x20, 0x20, 0x20);

    /// <summary>Writes a grid of images given as a tensor [N, 1, H, W], [N, H, W] or [H, W].</summary>
    public static void Save(string path, Tensor images, GridOptions? options = null)
    {
        var (n, h, w) = ImageDims(images, "ImageGrid.Save");
        Save(path, images.Data, n, h, w, options);
    }

    /// <summary>Writes a grid of N images of H × W pixels stored row-major in <paramref name="pixels"/> (N·H·W values).</summary>
    public static void Save(string path, ReadOnlySpan<float> pixels, int n, int h, int w, GridOptions? options = null)
    {
        var png = EncodePng(pixels, n, h, w, options);
        WriteFile(path, png);
    }

    /// <summary>The grid as PNG bytes (see <see cref="Save(string, ReadOnlySpan{float}, int, int, int, GridOptions?)"/>).</summary>
    public static byte[] EncodePng(ReadOnlySpan<float> pixels, int n, int h, int w, GridOptions? options = null)
    {
        using var bitmap = Render(pixels, n, h, w, options ?? new GridOptions());
        return Encode(bitmap);
    }

    /// <summary>
    /// Writes a sampling trajectory: <paramref name="snapshots"/>[j] holds the N samples x_t at
    /// t = <paramref name="timesteps"/>[j] (each [N, 1, H, W]); rows are samples, columns timesteps labelled "t=…".
    /// </summary>
    public static void SaveTrajectory(string path, IReadOnlyList<Tensor> snapshots, IReadOnlyList<int> timesteps, GridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(timesteps);
        if (snapshots.Count == 0)
            throw new ArgumentException("ImageGrid.SaveTrajectory: snapshots is empty.", nameof(snapshots));
        if (timesteps.Count != snapshots.Count)
            throw new ArgumentException($"ImageGrid.SaveTrajectory: {snapshots.Count} snapshots but {timesteps.Count} timesteps.", nameof(timesteps));
        var labels = new string[timesteps.Count];
        for (int j = 0; j < labels.Length; j++) labels[j] = "t=" + timesteps[j].ToString(CultureInfo.InvariantCulture);
        SaveColumns(path, snapshots, labels, options, "ImageGrid.SaveTrajectory");
    }

    /// <summary>
    /// Writes interpolation strips: <paramref name="images"/> holds R strips of <paramref name="steps"/> images each,
    /// strip by strip ([R·steps, 1, H, W] or [R, steps, H, W]); columns are labelled with the mixing weight λ ∈ [0, 1].
    /// </summary>
    public static void SaveInterpolation(string path, Tensor images, int steps, GridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        int n, h, w;
        if (images.Rank == 4 && images.Dim(1) == steps && steps != 1) { n = images.Dim(0) * steps; h = images.Dim(2); w = images.Dim(3); }
        else (n, h, w) = ImageDims(images, "ImageGrid.SaveInterpolation");
        if (steps < 2 || n % steps != 0)
            throw new ArgumentException($"ImageGrid.SaveInterpolation: steps must be ≥ 2 and divide the {n} images, got {steps}.", nameof(steps));
        var labels = new string[steps];
        for (int j = 0; j < steps; j++) labels[j] = "λ=" + ((double)j / (steps - 1)).ToString("0.##", CultureInfo.InvariantCulture);
        var o = options ?? new GridOptions();
        Save(path, images.Data, n, h, w, o with { Columns = steps, ColumnLabels = o.ColumnLabels ?? labels });
    }

    /// <summary>Writes a grid whose column j shows the images of <paramref name="columns"/>[j] (each [N, 1, H, W]), one row per image index.</summary>
    public static void SaveColumns(string path, IReadOnlyList<Tensor> columns, IReadOnlyList<string>? columnLabels, GridOptions? options = null) =>
        SaveColumns(path, columns, columnLabels, options, "ImageGrid.SaveColumns");

    static void SaveColumns(string path, IReadOnlyList<Tensor> columns, IReadOnlyList<string>? columnLabels, GridOptions? options, string op)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException($"{op}: no columns given.", nameof(columns));
        var (n, h, w) = ImageDims(columns[0], op);
        for (int j = 1; j < columns.Count; j++)
        {
            var d = ImageDims(columns[j], op);
            if (d != (n, h, w))
                throw new ArgumentException($"{op}: column {j} has {d.n} images of {d.h}×{d.w}, column 0 has {n} of {h}×{w}.", nameof(columns));
        }
        int t = columns.Count, hw = h * w;
        var grid = new float[n * t * hw];
        for (int j = 0; j < t; j++)
        {
            ReadOnlySpan<float> src = columns[j].Data;
            for (int i = 0; i < n; i++)
                src.Slice(i * hw, hw).CopyTo(grid.AsSpan((i * t + j) * hw, hw));
        }
        var o = options ?? new GridOptions();
        Save(path, grid, n * t, h, w, o with { Columns = t, ColumnLabels = o.ColumnLabels ?? columnLabels });
    }

    static (int n, int h, int w) ImageDims(Tensor images, string op)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Rank switch
        {
            2 => (1, images.Dim(0), images.Dim(1)),
            3 => (images.Dim(0), images.Dim(1), images.Dim(2)),
            4 when images.Dim(1) == 1 => (images.Dim(0), images.Dim(2), images.Dim(3)),
            _ => throw new ArgumentException(
                $"{op}: images must be grayscale [N, 1, H, W], [N, H, W] or [H, W], got [{string.Join(", ", images.Shape)}].", nameof(images)),
        };
    }

    /// <summary>Renders the grid into a new bitmap (RGBA, opaque).</summary>
    static SKBitmap Render(ReadOnlySpan<float> pixels, int n, int h, int w, GridOptions o)
    {
        const string op = "ImageGrid";
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, $"{op}: need at least one image.");
        if (h < 1 || w < 1) throw new ArgumentOutOfRangeException(nameof(h), $"{op}: image size must be positive, got {h}×{w}.");
        if ((long)n * h * w != pixels.Length)
            throw new ArgumentException($"{op}: {n} images of {h}×{w} need {(long)n * h * w} values, got {pixels.Length}.", nameof(pixels));
        if (o.Scale < 1 || o.Scale > 64) throw new ArgumentOutOfRangeException(nameof(o.Scale), o.Scale, $"{op}: Scale must be in 1..64.");
        if (o.Padding < 0 || o.Padding > 256) throw new ArgumentOutOfRangeException(nameof(o.Padding), o.Padding, $"{op}: Padding must be in 0..256.");
        if (o.Columns < 0) throw new ArgumentOutOfRangeException(nameof(o.Columns), o.Columns, $"{op}: Columns must be ≥ 0.");
        if (o.FontSize < 0 || float.IsNaN(o.FontSize) || o.FontSize > 200)
            throw new ArgumentOutOfRangeException(nameof(o.FontSize), o.FontSize, $"{op}: FontSize must be in 0..200 (0 = automatic).");

        int cols = o.Columns > 0 ? o.Columns : o.ColumnLabels is { Count: > 0 } cl ? cl.Count : (int)Math.Ceiling(Math.Sqrt(n));
        cols = Math.Min(cols, n);
        int rows = (n + cols - 1) / cols;
        if (o.CellLabels is not null && o.CellLabels.Count != n)
            throw new ArgumentException($"{op}: {n} images but {o.CellLabels.Count} cell labels.", nameof(o.CellLabels));
        if (o.RowLabels is not null && o.RowLabels.Count != rows)
            throw new ArgumentException($"{op}: {rows} rows ({n} images, {cols} columns) but {o.RowLabels.Count} row labels.", nameof(o.RowLabels));
        if (o.ColumnLabels is not null && o.ColumnLabels.Count != cols)
            throw new ArgumentException($"{op}: {cols} columns but {o.ColumnLabels.Count} column labels.", nameof(o.ColumnLabels));

        int cellW = w * o.Scale, cellH = h * o.Scale, pad = o.Padding;
        float fontSize = o.FontSize > 0 ? o.FontSize : Math.Clamp(MathF.Round(cellH * 0.28f), 10f, 16f);
        using var font = Fonts.CreateFont(fontSize);
        using var titleFont = Fonts.CreateFont(fontSize * 1.3f);
        titleFont.Embolden = true;
        float line = font.Spacing;
        int margin = Math.Max(pad, 4);

        int leftW = 0;
        if (o.RowLabels is not null)
        {
            float max = 0;
            foreach (var t in o.RowLabels) max = Math.Max(max, font.MeasureText(t ?? ""));
            leftW = (int)MathF.Ceiling(max) + 2 * margin;
        }
        // A column is as wide as its cells, or wider when column or cell labels need it (cells centred in it).
        float widest = 0;
        foreach (var t in o.ColumnLabels ?? []) widest = Math.Max(widest, font.MeasureText(t ?? ""));
        foreach (var t in o.CellLabels ?? []) widest = Math.Max(widest, font.MeasureText(t ?? ""));
        int colW = Math.Max(cellW, (int)MathF.Ceiling(widest) + (widest > 0 ? 4 : 0));
        int titleH = string.IsNullOrEmpty(o.Title) ? 0 : (int)MathF.Ceiling(titleFont.Spacing) + margin;
        int colLabelH = o.ColumnLabels is null ? 0 : (int)MathF.Ceiling(line) + 2;
        int cellLabelH = o.CellLabels is null ? 0 : (int)MathF.Ceiling(line);
        int gridW = cols * colW + (cols + 1) * pad;
        long width = leftW + gridW;
        if (titleH > 0) width = Math.Max(width, (int)MathF.Ceiling(titleFont.MeasureText(o.Title!)) + 2 * margin);
        int top = titleH + colLabelH;
        long height = top + (long)rows * (cellH + cellLabelH) + (rows + 1L) * pad;
        if (width * height > 200_000_000)
            throw new ArgumentException($"{op}: the picture would be {width}×{height} pixels; lower Scale or the number of images.");
        var layout = new Layout(
            Left: leftW + (int)Math.Max(0, (width - leftW - gridW) / 2),    // centre the cells (and their row labels) under a wide title
            Top: top, Pad: pad, ColW: colW, CellW: cellW, CellH: cellH, RowH: cellH + cellLabelH + pad, Cols: cols);

        var bitmap = new SKBitmap(new SKImageInfo((int)width, (int)height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        try
        {
            bitmap.Erase(Background);
            DrawCells(bitmap, pixels, n, h, w, o, layout);
            using var canvas = new SKCanvas(bitmap);
            using var paint = new SKPaint { Color = TextColor, IsAntialias = true };
            var m = font.Metrics;
            float Baseline(float centreY) => centreY - (m.Ascent + m.Descent) / 2;

            if (titleH > 0)
            {
                var tm = titleFont.Metrics;
                canvas.DrawText(o.Title!, width / 2f, margin / 2f - tm.Ascent, SKTextAlign.Center, titleFont, paint);
            }
            for (int c = 0; c < cols && o.ColumnLabels is not null; c++)
            {
                canvas.DrawText(Fit(o.ColumnLabels[c], colW + pad, font), layout.CentreX(c), Baseline(titleH + colLabelH / 2f), SKTextAlign.Center, font, paint);
            }
            for (int r = 0; r < rows && o.RowLabels is not null; r++)
            {
                canvas.DrawText(o.RowLabels[r] ?? "", layout.Left - margin, Baseline(layout.CellY(r) + cellH / 2f), SKTextAlign.Right, font, paint);
            }
            for (int i = 0; i < n && o.CellLabels is not null; i++)
            {
                float y = layout.CellY(i / cols) + cellH + cellLabelH / 2f;
                canvas.DrawText(Fit(o.CellLabels[i], colW + pad, font), layout.CentreX(i % cols), Baseline(y), SKTextAlign.Center, font, paint);
            }
            canvas.Flush();
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>Writes each image's gray levels into its cell, Scale × Scale per pixel.</summary>
    static void DrawCells(SKBitmap bitmap, ReadOnlySpan<float> pixels, int n, int h, int w, GridOptions o, Layout layout)
    {
        int scale = o.Scale, cellW = w * scale, hw = h * w;
        int stride = bitmap.RowBytes;
        Span<byte> dst = bitmap.GetPixelSpan();
        var range = o.Range;
        if (range == PixelRange.Auto)
        {
            range = PixelRange.ZeroToOne;
            foreach (float v in pixels) if (v < 0) { range = PixelRange.MinusOneToOne; break; }
        }
        Span<uint> row = cellW <= 4096 ? stackalloc uint[cellW] : new uint[cellW];
        for (int i = 0; i < n; i++)
        {
            var img = pixels.Slice(i * hw, hw);
            float lo = 0, hi = 1;
            if (range == PixelRange.MinusOneToOne) lo = -1;
            else if (range == PixelRange.PerImageMinMax)
            {
                lo = float.PositiveInfinity; hi = float.NegativeInfinity;
                foreach (float v in img) if (float.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
                if (!(hi > lo)) { hi = lo + 1; if (!float.IsFinite(lo)) { lo = 0; hi = 1; } }
            }
            float inv = 1f / (hi - lo);
            int x0 = layout.CellX(i % layout.Cols), y0 = layout.CellY(i / layout.Cols);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    uint rgba = Gray(img[y * w + x], lo, inv);
                    row.Slice(x * scale, scale).Fill(rgba);
                }
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(row);
                for (int s = 0; s < scale; s++)
                    bytes.CopyTo(dst.Slice((y0 + y * scale + s) * stride + x0 * 4, cellW * 4));
            }
        }
    }

    /// <summary>Pixel positions of the grid: cell (r, c) has its top-left corner at (CellX(c), CellY(r)).</summary>
    readonly record struct Layout(int Left, int Top, int Pad, int ColW, int CellW, int CellH, int RowH, int Cols)
    {
        public int CellX(int c) => Left + Pad + c * (ColW + Pad) + (ColW - CellW) / 2;
        public int CellY(int r) => Top + Pad + r * RowH;
        public float CentreX(int c) => Left + Pad + c * (ColW + Pad) + ColW / 2f;
    }

    /// <summary>Gray level of v on [lo, lo + 1/inv] as a little-endian RGBA word; NaN is magenta.</summary>
    static uint Gray(float v, float lo, float inv)
    {
        if (float.IsNaN(v)) return 0xFF_FF_00_FFu;                // A=FF B=FF G=00 R=FF
        float g = Math.Clamp((v - lo) * inv, 0f, 1f);
        uint b = (uint)MathF.Round(g * 255f);
        return 0xFF000000u | (b << 16) | (b << 8) | b;
    }

    /// <summary>The text, shortened with an ellipsis until it fits in maxWidth pixels.</summary>
    static string Fit(string? text, float maxWidth, SKFont font)
    {
        text ??= "";
        if (font.MeasureText(text) <= maxWidth) return text;
        for (int len = text.Length - 1; len > 0; len--)
        {
            string s = text[..len] + "…";
            if (font.MeasureText(s) <= maxWidth) return s;
        }
        return "";
    }

    internal static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("ImageGrid: SkiaSharp failed to encode the PNG.");
        return data.ToArray();
    }

    /// <summary>Writes bytes to path, creating its folder.</summary>
    internal static void WriteFile(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        File.WriteAllBytes(full, bytes);
    }
}
