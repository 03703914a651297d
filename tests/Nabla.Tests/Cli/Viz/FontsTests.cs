using SkiaSharp;
using Fonts = Nabla.Cli.Viz.Fonts;

namespace Nabla.Tests.Viz;

public class FontsTests
{
    [Fact]
    public void ShippedFontIsCopiedAndLoadsFromItsFile()
    {
        Assert.True(File.Exists(Fonts.DefaultPath), $"missing {Fonts.DefaultPath}");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(Fonts.DefaultPath)!, "LICENSE")));
        var face = Fonts.Typeface;
        Assert.Equal("DejaVu Sans", face.FamilyName);
        Assert.True(face.GlyphCount > 1000);
        Assert.True(face.ContainsGlyphs("t=999 λ Ω → ᾱ"));   // labels we draw
    }

    [Fact]
    public void TextDrawnWithTheFontInksPixels()
    {
        using var font = Fonts.CreateFont(20);
        Assert.True(font.MeasureText("Sneaker") > 40);
        using var bmp = new SKBitmap(new SKImageInfo(120, 30, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bmp.Erase(SKColors.White);
        using (var canvas = new SKCanvas(bmp))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            canvas.DrawText("Sneaker", 4, 22, SKTextAlign.Left, font, paint);
        int dark = 0;
        for (int y = 0; y < bmp.Height; y++)
            for (int x = 0; x < bmp.Width; x++)
                if (bmp.GetPixel(x, y).Red < 128) dark++;
        Assert.True(dark > 50, $"only {dark} dark pixels: the text did not render");
    }

    [Fact]
    public void MissingOrInvalidFontFailsLoudly()
    {
        string missing = Path.Combine(Path.GetTempPath(), "nabla-no-such-font.ttf");
        var ex = Assert.Throws<FileNotFoundException>(() => Fonts.Load(missing));
        Assert.Contains("data/fonts/DejaVuSans.ttf", ex.Message);

        string junk = Path.Combine(Path.GetTempPath(), $"nabla-junk-{Guid.NewGuid():N}.ttf");
        File.WriteAllText(junk, "not a font");
        try { Assert.Throws<InvalidDataException>(() => Fonts.Load(junk)); }
        finally { File.Delete(junk); }
        Assert.Throws<ArgumentOutOfRangeException>(() => Fonts.CreateFont(0));
    }

    [Fact]
    public void ScottPlotResolvesTheRegisteredNameToTheShippedFont()
    {
        Fonts.RegisterWithScottPlot();
        Assert.Equal(Fonts.PlotFontName, ScottPlot.Fonts.Default);
        Assert.Same(Fonts.Typeface, ScottPlot.Fonts.GetTypeface(Fonts.PlotFontName, bold: true, italic: false));
    }
}
