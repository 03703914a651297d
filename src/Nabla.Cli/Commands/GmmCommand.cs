using System.CommandLine;
using System.Globalization;
using Nabla.Cli.Viz;
using Nabla.Data;
using Nabla.Probabilistic;

namespace Nabla.Cli.Commands;

/// <summary>`nabla gmm fit [data.csv] --k 3 …`: a Gaussian mixture by EM, printed and plotted.</summary>
public static class GmmCommand
{
    /// <summary>The embedded demo set (iris) and its default columns: petals first, so the picture shows the clearest two.</summary>
    const string DemoFile = "iris.csv";
    static readonly string[] DemoColumns = { "petal_length", "petal_width", "sepal_length", "sepal_width" };

    public static Command Create()
    {
        var gmm = new Command("gmm", "Gaussian mixture models fitted by expectation–maximization");
        var fit = new Command("fit", "Fit a Gaussian mixture to the numeric columns of a CSV (with no file: the embedded iris data)");
        var file = new Argument<string?>("data") { Description = "CSV file with a header line (default: the embedded iris measurements)", Arity = ArgumentArity.ZeroOrOne };
        var k = new Option<int>("--k") { Description = "Number of components K", DefaultValueFactory = _ => 3 };
        var cov = new Option<string>("--covariance") { Description = "Covariance type: full, diag, spherical or tied", DefaultValueFactory = _ => "full" };
        cov.AcceptOnlyFromAmong("full", "diag", "spherical", "tied");
        var columns = new Option<string?>("--columns") { Description = "Comma-separated column names to use (default: all columns)" };
        var seed = CommonOptions.Seed("Seed of the k-means++ initialization");
        var nInit = new Option<int>("--n-init") { Description = "Number of initializations; the best fit is kept", DefaultValueFactory = _ => 1 };
        var maxIter = new Option<int>("--max-iter") { Description = "Maximum number of EM iterations", DefaultValueFactory = _ => 100 };
        var tol = new Option<double>("--tol") { Description = "Stop when the mean log-likelihood changes by less than this", DefaultValueFactory = _ => 1e-3 };
        var reg = new Option<double>("--reg-covar") { Description = "Added to every covariance diagonal", DefaultValueFactory = _ => 1e-6 };
        var output = CommonOptions.OutFile("PNG: points coloured by component with 1σ/2σ ellipses (first two columns)", "gmm.png");
        foreach (var o in new Option[] { k, cov, columns, seed, nInit, maxIter, tol, reg, output }) fit.Options.Add(o);
        fit.Arguments.Add(file);
        fit.SetAction(r => Run(r.GetValue(file), r.GetValue(k), r.GetValue(cov)!, r.GetValue(columns), r.GetValue(seed), r.GetValue(nInit),
            r.GetValue(maxIter), r.GetValue(tol), r.GetValue(reg), r.GetValue(output)!));
        gmm.Subcommands.Add(fit);
        return gmm;
    }

    static int Run(string? path, int k, string covName, string? columnList, ulong seed, int nInit, int maxIter, double tol, double reg, string outPath)
    {
        {
            string[]? cols = columnList?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (path == null)
            {
                path = EmbeddedData.Path(DemoFile);
                cols ??= DemoColumns;
            }
            var table = Csv.Read(path, cols);
            var x = table.ToMatrix();
            var type = covName switch
            {
                "full" => CovarianceType.Full, "diag" => CovarianceType.Diagonal, "spherical" => CovarianceType.Spherical, _ => CovarianceType.Tied,
            };
            var gm = new GaussianMixture(k, type) { NInit = nInit, MaxIter = maxIter, Tol = tol, RegCovar = reg };
            gm.Fit(x, new Generator(seed));
            Print(gm, x, table, path, type);
            if (x.GetLength(1) >= 2)
            {
                double ll = gm.Score(x);
                ProbPlots.Mixture(outPath, x, gm.Predict(x), gm.Weights, gm.Means, gm.Covariance, table.Columns[0], table.Columns[1],
                    string.Create(CultureInfo.InvariantCulture, $"Gaussian mixture, K = {k} ({covName}): mean log-likelihood {ll:0.####}; ellipses 1σ, 2σ"));
                Console.WriteLine($"wrote {outPath}");
            }
            else Console.WriteLine("(one column: no scatter plot written)");
            return 0;
        }
    }

    static void Print(GaussianMixture gm, double[,] x, CsvTable table, string path, CovarianceType type)
    {
        string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture).PadLeft(11);
        int n = x.GetLength(0), d = x.GetLength(1);
        Console.WriteLine($"data: {path} — {n} points × {d} columns ({string.Join(", ", table.Columns)})");
        Console.WriteLine($"EM: {gm.Iterations} iterations, {(gm.Converged ? "converged" : "NOT converged (raise --max-iter or --tol)")}");
        var w = gm.Weights;
        var mu = gm.Means;
        for (int c = 0; c < gm.Components; c++)
        {
            Console.WriteLine();
            Console.WriteLine($"component {c}: weight π = {w[c].ToString("0.######", CultureInfo.InvariantCulture)}");
            Console.WriteLine("  mean μ      " + string.Concat(Enumerable.Range(0, d).Select(j => F(mu[c, j]))));
            var cv = gm.Covariance(c);
            if (type is CovarianceType.Diagonal or CovarianceType.Spherical)
                Console.WriteLine("  variances   " + string.Concat(Enumerable.Range(0, d).Select(j => F(cv[j, j]))));
            else
            {
                if (type == CovarianceType.Tied && c > 0) { Console.WriteLine("  covariance Σ: tied (as component 0)"); continue; }
                Console.WriteLine("  covariance Σ" + (type == CovarianceType.Tied ? " (tied: shared by all components)" : ""));
                for (int i = 0; i < d; i++) Console.WriteLine("             " + string.Concat(Enumerable.Range(0, d).Select(j => F(cv[i, j]))));
            }
        }
        double mean = gm.Score(x);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log-likelihood: {mean * n:0.####} (mean per point {mean:0.######})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parameters: {gm.ParameterCount}   BIC: {gm.Bic(x):0.####}   AIC: {gm.Aic(x):0.####}"));
    }
}

/// <summary>Data sets shipped in the repository's data/ folder, copied next to the CLI by its build.</summary>
internal static class EmbeddedData
{

    public static string Path(string name)
    {
        string p = System.IO.Path.Combine(AppContext.BaseDirectory, "data", name);
        if (!File.Exists(p))
            throw new FileNotFoundException($"embedded data set '{name}' not found at {p} (it ships as data/{name}; rebuild the CLI)", p);
        return p;
    }
}
