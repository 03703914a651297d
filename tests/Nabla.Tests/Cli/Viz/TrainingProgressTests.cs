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
        Assert.Equal("0.03123", ProgressFormat.Value(0.031234));
        Assert.Equal("12,346", ProgressFormat.Value(12345.6));
        Assert.Equal("1.23e-5", ProgressFormat.Value(1.234e-5));
        Assert.Equal("NaN", ProgressFormat.Value(double.NaN));
        Assert.Equal("01:05", ProgressFormat.Time(65));
        Assert.Equal("2:00:00", ProgressFormat.Time(7200));
        Assert.Equal("1d 01:00:00", ProgressFormat.Time(90000));
        Assert.Equal("--:--", ProgressFormat.Time(double.NaN));
    }

    /// <summary>A clock that moves only when told to.</summary>
    sealed class ManualClock : TimeProvider
    {
        long ticks = 1_000_000;
        public override long TimestampFrequency => 1_000;               // milliseconds
        public override long GetTimestamp() => ticks;
        public void Advance(double seconds) => ticks += (long)Math.Round(seconds * 1000);
    }

    [Fact]
    public void WhenTheTimeBudgetEndsTheRunFirstPercentageAndEtaFollowIt()
    {
        // --minutes 30 --steps 1000000 at 2 steps/s: a million steps would take 5.8 days, the budget ends the run in 30 min.
        var clock = new ManualClock();
        var w = new StringWriter();
        using (var p = TrainingProgress.Start("ddpm train", 1_000_000, new ProgressOptions
               { Mode = ProgressMode.Plain, Output = w, Clock = clock, TimeBudget = TimeSpan.FromMinutes(30), PlainEveryPercent = 10, PlainMaxInterval = TimeSpan.FromHours(1) }))
        {
            for (int s = 1; s <= 720; s++) { clock.Advance(0.5); p.Report(s, 0.1); }   // 6 minutes: 20 % of the budget
            Assert.Equal(2, p.StepsPerSecond, 9);
            for (int s = 721; s <= 3600; s++) { clock.Advance(0.5); p.Report(s, 0.1); } // to the end of the budget
        }
        var lines = Lines(w);
        Assert.Equal("ddpm train: 1,000,000 steps", lines[0]);
        Assert.StartsWith("ddpm train  step 360/1,000,000 (10%)", lines[1]);                // 3 of 30 minutes
        Assert.EndsWith("elapsed 03:00  ETA 27:00 (time budget)", lines[1]);
        Assert.StartsWith("ddpm train  step 720/1,000,000 (20%)", lines[2]);
        Assert.EndsWith("ETA 24:00 (time budget)", lines[2]);
        Assert.DoesNotContain(lines, l => l.Contains("ETA 5d") || l.Contains("ETA --:--"));
        Assert.Equal(12, lines.Length);                                                    // header, 10 … 100 %, summary
        Assert.StartsWith("ddpm train time budget reached:  step 3,600/1,000,000 (0%)", lines[^1]);
    }

    [Fact]
    public void WhenTheStepsEndTheRunFirstTheBudgetIsIgnored()
    {
        var clock = new ManualClock();
        var w = new StringWriter();
        using (var p = TrainingProgress.Start("ddpm train", 1000, new ProgressOptions
               { Mode = ProgressMode.Plain, Output = w, Clock = clock, TimeBudget = TimeSpan.FromMinutes(30), PlainEveryPercent = 50, PlainMaxInterval = TimeSpan.FromHours(1) }))
            for (int s = 1; s <= 1000; s++) { clock.Advance(0.1); p.Report(s, 0.1); }    // 10 steps/s: 100 s of a 30-minute budget
        var lines = Lines(w);
        Assert.StartsWith("ddpm train  step 500/1,000 (50%)", lines[1]);
        Assert.EndsWith("elapsed 00:50  ETA 00:50", lines[1]);
        Assert.StartsWith("ddpm train done:", lines[^1]);
    }

    [Theory]
    [InlineData(0L, 1000L, double.NaN, 0.0, 600.0, 0.0, 600.0, true)]      // no rate yet: the budget bounds the run
    [InlineData(100L, 1000L, 10.0, 10.0, 600.0, 0.1, 90.0, false)]        // steps end after 90 s, budget after 590 s
    [InlineData(100L, 1000000L, 2.0, 50.0, 1800.0, 50 / 1800.0, 1750.0, true)]
    [InlineData(100L, 1000L, 10.0, 10.0, -1.0, 0.1, 90.0, false)]         // no budget
    [InlineData(1000L, 1000L, 10.0, 700.0, 600.0, 1.0, 0.0, false)]       // done
    [InlineData(10L, 1000L, 1.0, 900.0, 600.0, 1.0, 0.0, true)]           // budget overrun: 100 %, nothing left
    public void EstimateTakesWhicheverEndsFirst(long step, long total, double rate, double elapsed, double budget, double fraction, double eta, bool budgetBound)
    {
        var e = ProgressEstimate.Of(step, total, rate, elapsed, budget < 0 ? null : TimeSpan.FromSeconds(budget));
        Assert.Equal(fraction, e.Fraction, 12);
        Assert.Equal(eta, e.EtaSeconds, 9);
        Assert.Equal(budgetBound, e.BudgetBound);
    }

    [Fact]
    public void LiveBarFollowsTheBudget()
    {
        var clock = new ManualClock();
        var w = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(w),
        });
        console.Profile.Width = 160;
        using (var p = TrainingProgress.Start("ddpm train", 1_000_000, new ProgressOptions
               { Mode = ProgressMode.Live, Console = console, Clock = clock, TimeBudget = TimeSpan.FromMinutes(30) }))
        {
            for (int s = 1; s <= 1800; s++) { clock.Advance(0.5); p.Report(s, 0.1); }    // half the budget
            Thread.Sleep(300);                                                          // let the bar redraw
        }
        string text = w.ToString();
        Assert.Contains("50%", text);
        Assert.Contains("15:00 < 15:00", text);
        Assert.DoesNotContain("5d ", text);
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
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Start("x", 10, new ProgressOptions { TimeBudget = TimeSpan.FromSeconds(-1) }));
    }
}
