using System.Numerics.Tensors;

namespace Nabla.Optim;

/// <summary>Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients together so their joint p-norm is at most <paramref name="maxNorm"/>: total = ‖(‖g_i‖_p)_i‖_p
    /// (max |g| for p = ∞), coefficient = min(1, maxNorm/(total + 1e-6)). Returns the total norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType > 0)) throw new ArgumentException($"ClipGradNorm: norm type must be positive (or infinity), got {normType}");
        var grads = parameters.Where(p => p.Grad != null).Select(p => p.Grad!).ToList();
        if (grads.Count == 0) return 0;
        double total = 0;
        if (double.IsPositiveInfinity(normType))
            foreach (var g in grads) total = Math.Max(total, TensorPrimitives.MaxMagnitude(g.Data) is var m ? Math.Abs(m) : 0);
        else
        {
            foreach (var g in grads)
            {
                double s = 0;
                if (normType == 2) foreach (var v in g.Data) s += (double)v * v;
                else foreach (var v in g.Data) s += Math.Pow(Math.Abs(v), normType);
                // per-tensor norm first, as PyTorch (then the norm of the norms)
                double n = normType == 2 ? Math.Sqrt(s) : Math.Pow(s, 1 / normType);
                total += Math.Pow(n, normType);
            }
            total = Math.Pow(total, 1 / normType);
        }
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1)
            foreach (var g in grads) TensorPrimitives.Multiply(g.Data, (float)coef, g.Data);
        return total;
    }

    /// <summary>Clamps every gradient element to [−clipValue, clipValue].</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        if (!(clipValue >= 0)) throw new ArgumentException($"ClipGradValue: clip value must be non-negative, got {clipValue}");
        float c = (float)clipValue;
        foreach (var p in parameters)
            if (p.Grad != null) TensorPrimitives.Clamp(p.Grad.Data, -c, c, p.Grad.Data);
    }
}
