using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Nabla.Cli.Viz;

/// <summary>The live bar of <see cref="TrainingProgress"/>: a Spectre.Console progress row redrawn on a background thread.</summary>
public sealed partial class TrainingProgress
{
    // ---- live display (background thread) ----

    void RunLive()
    {
        try
        {
            // One row that fits the terminal: the bar takes what the text columns leave (10–40 cells).
            int width = console!.Profile.Width;
            bool wide = width >= 120;
            int textWidth = name.Length + 2 * total.ToString("N0", CultureInfo.InvariantCulture).Length + 1
                + 13 + 11                                        // "loss 0.01234" and one extra metric
                + (wide && options.ItemsPerStep > 0 ? 26 : 14)   // rate(s)
                + 13 + 6;                                        // "00:00 < 00:00" and column gaps
            var columns = new List<ProgressColumn>
            {
                new TaskDescriptionColumn(),
                new ProgressBarColumn { Width = Math.Clamp(width - textWidth - (wide ? 5 : 0), 10, 40) },
            };
            if (wide) columns.Add(new PercentageColumn());
            columns.Add(new FuncColumn(StepText, new Style(Color.Grey)));
            columns.Add(new FuncColumn(MetricsText, new Style(Color.Yellow)));
            columns.Add(new FuncColumn(() => RateText(both: wide), new Style(Color.Green)));
            columns.Add(new FuncColumn(TimeText, new Style(Color.Blue)));
            var progress = console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(columns.ToArray());
            progress.RefreshRate = TimeSpan.FromMilliseconds(100);
            progress.Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(name), maxValue: total);
                do
                {
                    lock (gate) task.Value = BarValue();
                } while (!stop.Wait(100));
                lock (gate) task.Value = BarValue();
                ctx.Refresh();
            });
        }
        catch (Exception e)
        {
            // E.g. another live display already running: fall back to plain lines rather than lose the progress.
            lock (gate) liveFailed = true;
            WritePlain($"{name}: live progress unavailable ({e.Message}); printing summary lines instead");
        }
    }

    /// <summary>The bar's position out of <c>total</c>: the steps, or the budget's share of them when the budget ends the run.</summary>
    double BarValue() => Math.Min(total, Estimate(clock.GetTimestamp()).Fraction * total);

    string StepText() { lock (gate) return FormattableString.Invariant($"{step:N0}/{total:N0}"); }

    string MetricsText()
    {
        lock (gate)
        {
            var sb = new StringBuilder("loss ").Append(ProgressFormat.Value(Smoothed()));
            AppendExtras(sb);
            return sb.ToString();
        }
    }

    string RateText(bool both) { lock (gate) return RatePart(Rate(), both); }

    string TimeText()
    {
        lock (gate)
        {
            long now = clock.GetTimestamp();
            return $"{ProgressFormat.Time(Seconds(now - startTicks))} < {ProgressFormat.Time(Estimate(now).EtaSeconds)}";
        }
    }

    /// <summary>A progress column whose text comes from a function, called at each redraw.</summary>
    sealed class FuncColumn(Func<string> text, Style style) : ProgressColumn
    {
        protected override bool NoWrap => true;
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(text(), style);
    }
}
