using Nabla.Cli.Viz;
using Spectre.Console;

namespace Nabla.Tests.Viz;

public class TrainingProgressTests
{
    static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void PlainModePrintsAHeaderALineEveryNPercentAndASummary()
    {
        var w = new StringWriter();
        using (var p = TrainingProgress.Start("mlp train", 100, new ProgressOptions { Mode = ProgressMode.Plain, Output = w, PlainEveryPercent = 25, ItemsPerStep = 128 }))
        {
            Assert.Equal(ProgressMode.Plain, p.Mode);
            for (int s = 1; s <= 100; s++) p.Report(s, 2.0, ("acc", s / 100.0));
        }
        var lines = Lines(w);
        Assert.Equal("mlp train: 100 steps", lines[0]);
        Assert.Equal(6, lines.Length);                                 // header, 25/50/75/100 %, summary
        Assert.StartsWith("mlp train  step 25/100 (25%)  loss 2  acc 0.25", lines[1]);
        Assert.Contains(" it/s", lines[1]);
        Assert.Contains(" img/s", lines[1]);
        Assert.Contains("ETA ", lines[1]);
        Assert.StartsWith("mlp train  step 100/100 (100%)  loss 2  acc 1", lines[4]);
        Assert.StartsWith("mlp train done:  step 100/100 (100%)", lines[5]);
        Assert.DoesNotContain("ETA", lines[5]);
    }

    [Fact]
    public void CoarseReportsPrintOneLinePerCrossingAndResumeStartsLate()
    {
        var w = new StringWriter();
        using (var p = TrainingProgress.Start("ddpm train", 1000, new ProgressOptions { Mode = ProgressMode.Plain, Output = w, PlainEveryPercent = 10, StartStep = 400 }))
        {
            p.Report(450, 0.5);          // 45 %: crosses 50? no → no line
            p.Report(730, 0.5);          // crosses 50, 60, 70 at once → one line
        }
        var lines = Lines(w);
        Assert.Equal("ddpm train: 1,000 steps, resuming at step 400", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ddpm train  step 730/1,000 (73%)", lines[1]);
        Assert.StartsWith("ddpm train stopped:  step 730/1,000", lines[2]);
    }

    [Fact]
    public void CancellationIsReportedInTheSummary()
    {
        var w = new StringWriter();
        using var cts = new CancellationTokenSource();
        using (var p = TrainingProgress.Start("vae train", 50, new ProgressOptions { Mode = ProgressMode.Plain, Output = w }, cts.Token))
        {
            p.Report(10, 1.5);
            cts.Cancel();
            p.Report(11, 1.5);                                     // still accepted after cancellation
            p.Log("saving checkpoint…");
        }
        var lines = Lines(w);
        Assert.Contains("saving checkpoint…", lines);
        Assert.StartsWith("vae train cancelled:  step 11/50 (22%)  loss 1.5", lines[^1]);
    }

    [Fact]
    public void SmoothedLossIsTheBiasCorrectedExponentialAverageAndSkipsNaN()
    {
        using var p = TrainingProgress.Start("x", 10, new ProgressOptions { Mode = ProgressMode.Silent, LossSmoothing = 0.5 });
        Assert.True(double.IsNaN(p.SmoothedLoss));
        p.Report(1, 1);
        Assert.Equal(1, p.SmoothedLoss, 12);
        p.Report(2, 3);
        Assert.Equal((0.25 * 1 + 0.5 * 3) / 0.75, p.SmoothedLoss, 12);   // (β(1−β)·1 + (1−β)·3) / (1 − β²)
        p.Report(3, double.NaN);
        Assert.Equal((0.25 * 1 + 0.5 * 3) / 0.75, p.SmoothedLoss, 12);
    }

    [Fact]
    public void NaNLossIsShownAsTheLastValue()
    {
        var w = new StringWriter();
        using (var p = TrainingProgress.Start("x", 2, new ProgressOptions { Mode = ProgressMode.Plain, Output = w, PlainEveryPercent = 50 }))
        {
            p.Report(1, 0.25);
            p.Report(2, double.NaN);
        }
        Assert.Contains("loss 0.25 (last NaN)", Lines(w)[2]);
    }

    [Fact]
    public void LiveModeRendersBarAndColumnsOnAnAnsiConsole()
    {
        var w = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(w),
        });
        console.Profile.Width = 160;
        using (var p = TrainingProgress.Start("ddpm train", 20, new ProgressOptions { Mode = ProgressMode.Live, Console = console, ItemsPerStep = 64 }))
        {
            for (int s = 1; s <= 20; s++) p.Report(s, 0.125, ("lr", 2e-4));
            p.Log("checkpoint written");
        }
        string text = w.ToString();
        Assert.Contains("ddpm train", text);
        Assert.Contains("20/20", text);
        Assert.Contains("loss 0.125", text);
        Assert.Contains("lr 2e-4", text);
        Assert.Contains("img/s", text);
        Assert.Contains("checkpoint written", text);
        Assert.Contains("ddpm train done:", text);
    }

    [Fact]
    public void FormattingOfValuesAndTimes()
    {
        Assert.Equal("0.03123", TrainingProgress.FormatValue(0.031234));
        Assert.Equal("12,346", TrainingProgress.FormatValue(12345.6));
        Assert.Equal("1.23e-5", TrainingProgress.FormatValue(1.234e-5));
        Assert.Equal("NaN", TrainingProgress.FormatValue(double.NaN));
        Assert.Equal("01:05", TrainingProgress.FormatTime(65));
        Assert.Equal("2:00:00", TrainingProgress.FormatTime(7200));
        Assert.Equal("1d 01:00:00", TrainingProgress.FormatTime(90000));
        Assert.Equal("--:--", TrainingProgress.FormatTime(double.NaN));
    }

    [Fact]
    public void ArgumentErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Start("x", 0));
        Assert.Throws<ArgumentException>(() => TrainingProgress.Start(" ", 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Start("x", 10, new ProgressOptions { StartStep = 11 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Start("x", 10, new ProgressOptions { LossSmoothing = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Start("x", 10, new ProgressOptions { PlainEveryPercent = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Start("x", 10, new ProgressOptions { ItemsPerStep = -1 }));
    }
}
