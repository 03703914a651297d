namespace Nabla.Cli.Viz;

/// <summary>
/// How far a run is and how long it has left, by whichever ends it first: its steps or its time budget. With
/// k of K steps done at r steps/s after t of a budget T, the steps end after (K − k)/r more seconds and the budget
/// after T − t; when the budget ends first (or the rate is not known yet), the fraction shown is t/T and the ETA
/// T − t, so `--minutes 30 --steps 1000000` shows 30 minutes, not the days a million steps would take.
/// </summary>
/// <param name="Fraction">Done, in [0, 1]: k/K, or t/T when budget-bound.</param>
/// <param name="EtaSeconds">Seconds left (NaN when unknown).</param>
/// <param name="BudgetBound">True when the time budget, not the step count, ends the run.</param>
public readonly record struct ProgressEstimate(double Fraction, double EtaSeconds, bool BudgetBound)
{
    /// <summary>The estimate after <paramref name="step"/> of <paramref name="total"/> steps at <paramref name="stepsPerSecond"/>, <paramref name="elapsedSeconds"/> into an optional <paramref name="budget"/>.</summary>
    public static ProgressEstimate Of(long step, long total, double stepsPerSecond, double elapsedSeconds, TimeSpan? budget)
    {
        double stepFraction = total > 0 ? Math.Clamp((double)step / total, 0, 1) : 1;
        double stepsEta = step >= total ? 0 : stepsPerSecond > 0 ? (total - step) / stepsPerSecond : double.NaN;
        if (budget is not { } b || step >= total) return new(stepFraction, stepsEta, false);
        double budgetSeconds = b.TotalSeconds;
        double budgetEta = Math.Max(0, budgetSeconds - elapsedSeconds);
        if (stepsEta <= budgetEta) return new(stepFraction, stepsEta, false);
        double timeFraction = budgetSeconds > 0 ? Math.Clamp(elapsedSeconds / budgetSeconds, 0, 1) : 1;
        return new(timeFraction, budgetEta, true);
    }
}
