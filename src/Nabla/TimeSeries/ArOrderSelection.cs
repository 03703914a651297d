using Nabla.Kernels;

namespace Nabla.TimeSeries;

/// <summary>Information criterion used to choose the order of an autoregression.</summary>
public enum InformationCriterion { Aic, Bic, Hqic }

/// <summary>
/// Order selection for AR(p) with a constant over p = 0 … P, as statsmodels' <c>ar_select_order(y, P, ic)</c>:
/// every candidate is fitted by OLS on the same rows t = P … n−1 (so the criteria are comparable), with
/// llf = −(nobs/2)(ln(2π σ²) + 1), σ² = SSR/nobs and k = p + 1 parameters counted (μ and the lags):
/// AIC = −2 llf + 2k, BIC = −2 llf + ln(nobs)·k, HQIC = −2 llf + 2 ln(ln nobs)·k. The chosen order is refitted on
/// its own full sample (t = p … n−1) as <see cref="Model"/>. One pass forms the lag moments for all orders.
/// </summary>
public sealed class ArOrderSelection
{
    /// <summary>The criterion minimized.</summary>
    public InformationCriterion Criterion { get; }
    /// <summary>The largest order tried, P.</summary>
    public int MaxOrder { get; }
    /// <summary>The chosen order (0 = no lags: the series is its mean plus noise).</summary>
    public int Order { get; }
    /// <summary>AIC, BIC and HQIC of each order p = 0 … P on the common sample.</summary>
    public double[] Aic { get; }
    /// <summary>BIC of each order.</summary>
    public double[] Bic { get; }
    /// <summary>HQIC of each order.</summary>
    public double[] Hqic { get; }
    /// <summary>AR(Order) refitted on its full sample; null when the chosen order is 0.</summary>
    public AutoRegression? Model { get; }

    ArOrderSelection(InformationCriterion ic, int maxOrder, int order, double[] aic, double[] bic, double[] hqic, AutoRegression? model)
    {
        Criterion = ic; MaxOrder = maxOrder; Order = order; Aic = aic; Bic = bic; Hqic = hqic; Model = model;
    }

    /// <summary>The criterion values of the chosen criterion, per order.</summary>
    public double[] Values => Criterion switch { InformationCriterion.Aic => Aic, InformationCriterion.Bic => Bic, _ => Hqic };

    /// <summary>Tries p = 0 … <paramref name="maxOrder"/> and keeps the one with the smallest criterion.</summary>
    public static ArOrderSelection Select(double[] y, int maxOrder, InformationCriterion ic = InformationCriterion.Bic)
    {
        ArgumentNullException.ThrowIfNull(y);
        AutoRegression.Check(y, maxOrder, "ArOrderSelection.Select");
        double shift = AutoRegression.Shift(y);
        int M = maxOrder + 1, nobs = y.Length - maxOrder;
        var sums = new double[M];
        var gram = new double[M * M];
        LaggedMoments.Compute(y, maxOrder, shift, sums, gram);
        var aic = new double[M]; var bic = new double[M]; var hqic = new double[M];
        for (int q = 0; q <= maxOrder; q++)
        {
            var beta = AutoRegression.SolveFromMoments(sums, gram, maxOrder, q, nobs);
            var phi = beta[1..];
            double mu = beta[0] + shift * (1 - phi.Sum());
            double ssr = AutoRegression.ResidualSumOfSquares(y, q, maxOrder, mu, phi);
            double sigma2 = ssr / nobs;
            double llf = -nobs * (Math.Log(2 * Math.PI * sigma2) + 1) / 2;
            int k = q + 1;
            aic[q] = -2 * llf + 2 * k;
            bic[q] = -2 * llf + Math.Log(nobs) * k;
            hqic[q] = -2 * llf + 2 * Math.Log(Math.Log(nobs)) * k;
        }
        var vals = ic switch { InformationCriterion.Aic => aic, InformationCriterion.Bic => bic, _ => hqic };
        int best = 0;
        for (int q = 1; q <= maxOrder; q++) if (vals[q] < vals[best]) best = q;
        return new ArOrderSelection(ic, maxOrder, best, aic, bic, hqic, best > 0 ? AutoRegression.Fit(y, best) : null);
    }
}
