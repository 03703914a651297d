using SkiaSharp;

namespace Nabla.Cli.Viz;

/// <summary>
/// The one font every picture uses: DejaVu Sans, shipped in <c>data/fonts/</c> (Bitstream Vera licence, see
/// <c>fonts/LICENSE</c>) and copied next to the CLI. It is loaded from that file — never looked up by family
/// name — so labels cannot silently vanish on a machine without system fonts; a missing file is an error.
/// </summary>
public static class Fonts
{
    /// <summary>Name under which the font is registered with ScottPlot (unique, so no system font can shadow it).</summary>
    public const string PlotFontName = "Nabla DejaVu Sans";

    /// <summary>File name of the shipped font inside the <c>fonts</c> folder of the output directory.</summary>
    public const string FileName = "DejaVuSans.ttf";

    static readonly Lock Gate = new();
    static SKTypeface? typeface;
    static bool registeredWithScottPlot;

    /// <summary>Full path of the shipped font: <c>AppContext.BaseDirectory/fonts/DejaVuSans.ttf</c>.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "fonts", FileName);

    /// <summary>The loaded typeface (loaded once, then shared; SKTypeface is immutable and thread-safe).</summary>
    /// <exception cref="FileNotFoundException">The font file is missing next to the executable.</exception>
    /// <exception cref="InvalidDataException">The file exists but SkiaSharp cannot read it as a font.</exception>
    public static SKTypeface Typeface
    {
        get
        {
            lock (Gate) return typeface ??= Load(DefaultPath);
        }
    }

    /// <summary>Loads a typeface from a font file, failing loudly when the file is missing or unreadable.</summary>
    public static SKTypeface Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Font file '{path}' not found. Pictures need it for their labels: it ships as data/fonts/{FileName} " +
                "and the CLI build copies it to fonts/ next to the executable — rebuild the CLI, or restore the file.", path);
        var face = SKTypeface.FromFile(path);
        if (face is null || face.GlyphCount == 0)
            throw new InvalidDataException($"Font file '{path}' could not be read as a TrueType/OpenType font.");
        return face;
    }

    /// <summary>An <see cref="SKFont"/> of the given pixel size in the shipped typeface (dispose it after use).</summary>
    public static SKFont CreateFont(float size)
    {
        if (!(size > 0) || float.IsInfinity(size))
            throw new ArgumentOutOfRangeException(nameof(size), size, "Fonts.CreateFont: size must be a positive number of pixels.");
        return new SKFont(Typeface, size) { Subpixel = true, Edging = SKFontEdging.Antialias };
    }

    /// <summary>
    /// Registers the shipped font with ScottPlot (once) under <see cref="PlotFontName"/> for every weight and slant,
    /// and makes it ScottPlot's default, sans and monospace font, so text of plottables created later uses it too.
    /// </summary>
    public static void RegisterWithScottPlot()
    {
        lock (Gate)
        {
            if (registeredWithScottPlot) return;
            var face = typeface ??= Load(DefaultPath);
            ScottPlot.Fonts.FontResolvers.Insert(0, new ShippedFontResolver(face));
            ScottPlot.Fonts.Default = PlotFontName;
            ScottPlot.Fonts.Sans = PlotFontName;
            ScottPlot.Fonts.Monospace = PlotFontName;
            registeredWithScottPlot = true;
        }
    }

    /// <summary>Sets every text element of a plot (title, axis labels, tick labels, legend) to the shipped font.</summary>
    public static void ApplyTo(ScottPlot.Plot plot)
    {
        ArgumentNullException.ThrowIfNull(plot);
        RegisterWithScottPlot();
        plot.Font.Set(PlotFontName);
        plot.Legend.FontName = PlotFontName;
    }

    /// <summary>Resolves <see cref="PlotFontName"/> in any style to the shipped typeface (bold is synthesized by Skia).</summary>
    sealed class ShippedFontResolver(SKTypeface face) : ScottPlot.IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == PlotFontName ? face : null;

        public SKTypeface? CreateTypeface(string fontName, ScottPlot.FontWeight weight, ScottPlot.FontSlant slant, ScottPlot.FontSpacing width) =>
            fontName == PlotFontName ? face : null;
    }
}
