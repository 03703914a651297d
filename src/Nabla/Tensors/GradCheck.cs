namespace Nabla;

/// <summary>
/// Finite-difference gradient checking: compares the autodiff gradient of L = Σ f(x)·r (r a fixed random
/// projection) with the central difference (L(x + h) − L(x − h)) / 2h, computed in double from float32 evaluations.
/// </summary>
public static class GradCheck
{
    /// <summary>The worst mismatch found, and where.</summary>
    public sealed record Result(bool Ok, double MaxError, int Input, int Index, double Analytic, double Numeric)
    {
        public override string ToString() => Ok ? $"ok (max error {MaxError:g3})"
            : $"input {Input} element {Index}: autodiff {Analytic:g6} vs finite difference {Numeric:g6} (error {MaxError:g3})";
    }

    /// <summary>
    /// Checks every input of <paramref name="f"/> (each is made to require a gradient).
    /// Error per element: |a − n| / max(1, |a|, |n|) must stay below <paramref name="tolerance"/>.
    /// </summary>
    public static Result Check(Func<Tensor[], Tensor> f, Tensor[] inputs, float h = 1e-2f, double tolerance = 2e-2, ulong seed = 7)
    {
        foreach (var x in inputs) { x.RequiresGrad = true; x.ZeroGrad(); }
        var y = f(inputs);
        var r = Tensor.Randn(new Generator(seed), y.Shape);
        (y * r).Sum().Backward();
        var analytic = inputs.Select(x => x.Grad?.ToArray() ?? new float[x.Size]).ToArray();
        var worst = new Result(true, 0, -1, -1, 0, 0);
        using (Tensor.NoGrad())
        {
            double Eval()
            {
                var v = f(inputs).Data; double s = 0;
                var rr = r.Data;
                for (int i = 0; i < v.Length; i++) s += (double)v[i] * rr[i];
                return s;
            }
            for (int k = 0; k < inputs.Length; k++)
            {
                var d = inputs[k].Data;
                for (int i = 0; i < d.Length; i++)
                {
                    float old = d[i];
                    d[i] = old + h; double lp = Eval();
                    d[i] = old - h; double lm = Eval();
                    d[i] = old;
                    double num = (lp - lm) / (2 * h), an = analytic[k][i];
                    double err = Math.Abs(an - num) / Math.Max(1, Math.Max(Math.Abs(an), Math.Abs(num)));
                    if (err > worst.MaxError) worst = new Result(err <= tolerance, err, k, i, an, num);
                }
            }
        }
        return worst with { Ok = worst.MaxError <= tolerance };
    }
}
