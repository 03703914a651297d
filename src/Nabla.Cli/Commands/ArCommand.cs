using System.CommandLine;
using System.Globalization;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.TimeSeries;

namespace Nabla.Cli.Commands;

/// <summary>`nabla ar fit|forecast [series.csv] …`: autoregressions AR(p) with a constant.</summary>
public static class ArCommand
{
    const string DemoFile = "elnino.csv", DemoColumn = "temperature";

    sealed record Common(Argument<string?> File, Option<string?> Column, Option<int?> Order, Option<int> MaxOrder, Option<string> Criterion, Option<string> Method);

    static Common AddCommon(Command c)
    {
        var file = new Argument<string?>("series") { Description = "CSV file with a header line, one row per time step (default: the embedded El Niño sea-surface temperatures)", Arity = ArgumentArity.ZeroOrOne };
        var column = new Option<string?>("--column") { Description = "Column holding the series (default: the last column)" };
        var order = new Option<int?>("--order") { Description = "Fit this order p (otherwise chosen by --criterion over 1..--max-order)" };
        var maxOrder = new Option<int>("--max-order") { Description = "Largest order P tried by order selection", DefaultValueFactory = _ => 12 };
        var crit = new Option<string>("--criterion") { Description = "Order-selection criterion: aic, bic or hqic", DefaultValueFactory = _ => "bic" };
        crit.AcceptOnlyFromAmong("aic", "bic", "hqic");
        var method = new Option<string>("--method") { Description = "ols (closed form) or gd (gradient descent on the MSE with autodiff)", DefaultValueFactory = _ => "ols" };
        method.AcceptOnlyFromAmong("ols", "gd");
        c.Arguments.Add(file);
        foreach (var o in new Option[] { column, order, maxOrder, crit, method }) c.Options.Add(o);
        return new Common(file, column, order, maxOrder, crit, method);
    }

    public static Command Create()
    {
        var ar = new Command("ar", "Autoregressive models Y_t = μ + Σ φ_i Y_{t−i} + u_t");
        var fit = new Command("fit", "Fit AR(p): coefficients, noise variance σ², AIC and BIC (order chosen by a criterion unless --order is given)");
        var cf = AddCommon(fit);
        fit.SetAction(r => Run(r, cf, forecastSteps: 0, alpha: 0, outPath: null));
        var forecast = new Command("forecast", "Fit AR(p), then forecast with prediction intervals and write a PNG");
        var cc = AddCommon(forecast);
        var steps = new Option<int>("--steps") { Description = "Number of steps ahead", DefaultValueFactory = _ => 12 };
        var alpha = new Option<double>("--alpha") { Description = "Interval level: 1 − alpha (0.05 gives 95% intervals)", DefaultValueFactory = _ => 0.05 };
        var output = CommonOptions.OutFile("PNG of the history, the forecasts and the interval band", "forecast.png");
        forecast.Options.Add(steps); forecast.Options.Add(alpha); forecast.Options.Add(output);
        forecast.SetAction(r => Run(r, cc, r.GetValue(steps), r.GetValue(alpha), r.GetValue(output)));
        ar.Subcommands.Add(fit);
        ar.Subcommands.Add(forecast);
        return ar;
    }

    static string F(double v, string fmt = "0.######") => v.ToString(fmt, CultureInfo.InvariantCulture);

    static int Run(ParseResult r, Common o, int forecastSteps, double alpha, string? outPath)
    {
        {
            string? path = r.GetValue(o.File);
            string? column = r.GetValue(o.Column);
            if (path == null) { path = EmbeddedData.Path(DemoFile); column ??= DemoColumn; }
            column ??= Csv.ReadHeader(path)[^1];
            var all = Csv.Read(path, new[] { column });
            var name = all.Columns[^1];
            var y = all.Column(name);
            Console.WriteLine($"series: {path}, column '{name}', {y.Length} points");

            int? order = r.GetValue(o.Order);
            AutoRegression model;
            if (order is int p)
                model = Fit(y, p, r.GetValue(o.Method)!);
            else
            {
                var ic = r.GetValue(o.Criterion) switch { "aic" => InformationCriterion.Aic, "hqic" => InformationCriterion.Hqic, _ => InformationCriterion.Bic };
                int maxOrder = r.GetValue(o.MaxOrder);
                var sel = ArOrderSelection.Select(y, maxOrder, ic);
                Console.WriteLine($"order selection over p = 0..{maxOrder} by {ic.ToString().ToUpperInvariant()} (common sample t = {maxOrder}..{y.Length - 1}):");
                Console.WriteLine("     p          AIC          BIC         HQIC");
                for (int q = 0; q <= maxOrder; q++)
                    Console.WriteLine($"  {(q == sel.Order ? "*" : " ")}{q,3} {F(sel.Aic[q], "0.000"),12} {F(sel.Bic[q], "0.000"),12} {F(sel.Hqic[q], "0.000"),12}");
                if (sel.Order == 0) { Console.WriteLine("chosen order 0: no lag helps; the series is its mean plus noise"); return 0; }
                model = Fit(y, sel.Order, r.GetValue(o.Method)!);
            }
            PrintModel(model);
            if (forecastSteps > 0) Forecast(model, y, all, path, name, forecastSteps, alpha, outPath!);
            return 0;
        }
    }

    static AutoRegression Fit(double[] y, int p, string method)
    {
        if (method == "ols") return AutoRegression.Fit(y, p);
        var gd = AutoRegressionGd.Fit(y, p);
        var ols = AutoRegression.Fit(y, p);
        double maxDiff = gd.Model.Params.Zip(ols.Params, (a, b) => Math.Abs(a - b)).Max();
        Console.WriteLine($"gradient descent: {gd.LossHistory.Length} Adam steps, final standardized MSE {F(gd.LossHistory[^1])}; " +
                          $"max |coefficient − OLS| = {maxDiff.ToString("g3", CultureInfo.InvariantCulture)}");
        return gd.Model;
    }

    static void PrintModel(AutoRegression m)
    {
        Console.WriteLine();
        Console.WriteLine($"AR({m.Order}) with a constant, fitted on t = {m.Order}..{m.Order + m.Nobs - 1} ({m.Nobs} observations)");
        Console.WriteLine($"  const μ    {F(m.Intercept),12}");
        var phi = m.Coefficients;
        for (int i = 0; i < phi.Length; i++) Console.WriteLine($"  φ_{i + 1,-8} {F(phi[i]),12}");
        Console.WriteLine($"  σ²         {F(m.Sigma2),12}   (SSR / nobs)");
        Console.WriteLine($"log-likelihood {F(m.LogLikelihood, "0.####")}   AIC {F(m.Aic, "0.####")}   BIC {F(m.Bic, "0.####")}   HQIC {F(m.Hqic, "0.####")}");
    }

    static void Forecast(AutoRegression m, double[] y, CsvTable table, string path, string name, int steps, double alpha, string outPath)
    {
        var fc = m.Forecast(steps, alpha);
        string level = F(100 * (1 - alpha), "0.##") + "%";
        Console.WriteLine();
        Console.WriteLine($"forecasts with {level} prediction intervals (var_h = σ² Σ_{{j<h}} ψ_j²):");
        Console.WriteLine("     h     forecast     std.err        lower        upper");
        var se = fc.StdErr;
        for (int h = 0; h < steps; h++)
            Console.WriteLine($"  {h + 1,4} {F(fc.Mean[h], "0.0000"),12} {F(se[h], "0.0000"),11} {F(fc.Lower[h], "0.0000"),12} {F(fc.Upper[h], "0.0000"),12}");

        // time axis: fractional years when the file has year and month columns, else the observation index
        double[] time;
        string xLabel;
        double dt = 1;
        try
        {
            var ym = Csv.Read(path, new[] { "year", "month" });
            var yr = ym.Column("year"); var mo = ym.Column("month");
            time = yr.Select((v, i) => v + (mo[i] - 1) / 12.0).ToArray();
            xLabel = "year"; dt = 1.0 / 12;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            time = Enumerable.Range(0, y.Length).Select(i => (double)i).ToArray();
            xLabel = "t";
        }
        int show = Math.Min(y.Length, Math.Max(120, 8 * steps));
        var ht = time[^show..]; var hy = y[^show..];
        var ft = Enumerable.Range(1, steps).Select(h => time[^1] + h * dt).ToArray();
        ProbPlots.Forecast(outPath, ht, hy, ft, fc.Mean, fc.Lower, fc.Upper, name, xLabel,
            $"AR({m.Order}) forecast of {name}, {steps} steps ahead", $"{level} prediction interval");
        Console.WriteLine($"wrote {outPath}");
    }
}
