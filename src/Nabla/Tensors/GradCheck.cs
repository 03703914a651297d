namespace Nabla;

/// <summary>
/// Finite-difference gradient checking: compares the autodiff gradient of L = Σ f(x)·r (r a fixed random
/// projection) with a Richardson-extrapolated central difference
/// n = (4·D(h/2) − D(h)) / 3, D(s) = (L(x + s) − L(x − s)) / 2s, whose truncation error is O(h⁴) instead of O(h²).
/// f runs in float32; every L is accumulated in double, so outputs the perturbation does not touch cancel exactly
/// and the rounding noise left is that of the few outputs that move (≈ 1e-7·|y| / h per output).
/// </summary>
public static class GradCheck
{
    /// <summary>The default tolerance: a gradient rule off by 0.2 % fails.</summary>
    public const double DefaultTolerance = 2e-3;

    /// <summary>The worst mismatch found, and where.</summary>
    public sealed record Result(bool Ok, double MaxError, int Input, int Index, double Analytic, double Numeric)
    {
        public override string ToString() => Ok ? $"ok (max error {MaxError:g3})"
            : $"input {Input} element {Index}: autodiff {Analytic:g6} vs finite difference {Numeric:g6} (error {MaxError:g3})";
    }

    /// <summary>
    /// Checks every input of <paramref name="f"/> (each is made to require a gradient). The inputs must stay at least
    /// <paramref name="h"/> away from any kink of f (ReLU at 0, ties of max, clamp bounds).
    /// Error per element: |a − n| / max(1, |a|, |n|) must stay below <paramref name="tolerance"/>. Inputs larger than
    /// <paramref name="maxElementsPerInput"/> are checked at that many elements drawn without repetition (seeded).
    /// </summary>
    public static Result Check(Func<Tensor[], Tensor> f, Tensor[] inputs, float h = 1e-2f, double tolerance = DefaultTolerance, ulong seed = 7,
        int maxElementsPerInput = int.MaxValue)
    {
        if (!(h > 0)) throw new ArgumentException($"GradCheck: step h must be positive, got {h}");
        if (maxElementsPerInput < 1) throw new ArgumentException($"GradCheck: maxElementsPerInput must be positive, got {maxElementsPerInput}");
        foreach (var x in inputs) { x.RequiresGrad = true; x.ZeroGrad(); }
        var y = f(inputs);
        var r = Tensor.Randn(new Generator(seed), y.Shape);
        (y * r).Sum().Backward();
        var analytic = inputs.Select(x => x.Grad?.ToArray() ?? new float[x.Size]).ToArray();
        var worst = new Result(true, 0, -1, -1, 0, 0);
        using (Tensor.NoGrad())
        {
            var rr = r.data;
            double Eval()
            {
                var v = f(inputs).Data; double s = 0;
                for (int i = 0; i < v.Length; i++) s += (double)v[i] * rr[i];
                return s;
            }
            for (int k = 0; k < inputs.Length; k++)
            {
                var d = inputs[k].data;
                var which = d.Length <= maxElementsPerInput ? Enumerable.Range(0, d.Length)
                    : new Generator(seed, (ulong)k + 1).Permutation(d.Length).Take(maxElementsPerInput);
                foreach (int i in which)
                {
                    float old = d[i];
                    // the steps actually taken in float32 (old ± h is rounded), so the quotient divides by the true step
                    double Diff(float step)
                    {
                        float up = old + step, down = old - step;
                        d[i] = up; double lp = Eval();
                        d[i] = down; double lm = Eval();
                        d[i] = old;
                        return (lp - lm) / ((double)up - down);
                    }
                    double d1 = Diff(h), d2 = Diff(h / 2);
                    double num = (4 * d2 - d1) / 3, an = analytic[k][i];
                    double err = Math.Abs(an - num) / Math.Max(1, Math.Max(Math.Abs(an), Math.Abs(num)));
                    if (err > worst.MaxError || double.IsNaN(err)) worst = new Result(err <= tolerance, double.IsNaN(err) ? double.PositiveInfinity : err, k, i, an, num);
                }
            }
        }
        return worst with { Ok = worst.MaxError <= tolerance };
    }
}
