using Nabla.Kernels;

namespace Nabla.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) exactly as PyTorch: t ← t + 1; g ← g + λ·p (L2 weight decay); m ← β1·m + (1 − β1)·g;
/// v ← β2·v + (1 − β2)·g²; p ← p − (lr/(1 − β1ᵗ))·m / (√v/√(1 − β2ᵗ) + ε) (with AMSGrad, v replaced by its running
/// maximum). β1 lives in each group's <see cref="ParameterGroup.Momentum"/> so schedules can cycle it.
/// </summary>
public class Adam : Optimizer
{
    public double Beta2 { get; }
    public double Eps { get; }
    public bool Amsgrad { get; }
    public bool Maximize { get; }
    /// <summary>True for AdamW's decoupled decay p ← p·(1 − lr·λ) instead of L2 in the gradient.</summary>
    protected bool Decoupled { get; init; }

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize) { }

    public Adam(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, weightDecay, (betas ?? (0.9, 0.999)).Item1)
    {
        var (b1, b2) = betas ?? (0.9, 0.999);
        if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new ArgumentException($"{GetType().Name}: betas must be in [0, 1), got ({b1}, {b2})");
        if (!(eps >= 0)) throw new ArgumentException($"{GetType().Name}: eps must be non-negative, got {eps}");
        Beta2 = b2; Eps = eps; Amsgrad = amsgrad; Maximize = maximize;
    }

    protected override void Update(ParameterGroup group, Tensor p, ReadOnlySpan<float> grad, Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var stepT))
        {
            state["step"] = stepT = Tensor.Scalar(0);
            state["exp_avg"] = Tensor.Zeros(p.Shape);
            state["exp_avg_sq"] = Tensor.Zeros(p.Shape);
            if (Amsgrad) state["max_exp_avg_sq"] = Tensor.Zeros(p.Shape);
        }
        double step = stepT.Data[0] + 1;
        stepT.Data[0] = (float)step;
        double lr = group.Lr, wd = group.Wd, beta1 = group.Mom;
        if (Decoupled && wd != 0) System.Numerics.Tensors.TensorPrimitives.Multiply(p.Data, (float)(1 - lr * wd), p.Data);
        double bias1 = 1 - Math.Pow(beta1, step), bias2 = 1 - Math.Pow(Beta2, step);
        float[]? vmax = Amsgrad ? state["max_exp_avg_sq"].data : null;
        // the whole-array kernel (shared between the cores for large parameters) when grad is the parameter's gradient
        var g = p.Grad != null && grad == p.Grad.data.AsSpan() ? p.Grad.data : grad.ToArray();
        OptimKernels.AdamStepArrays(p.data, g, state["exp_avg"].data, state["exp_avg_sq"].data, vmax,
            beta1, Beta2, Decoupled ? 0f : (float)wd, (float)(lr / bias1), (float)Math.Sqrt(bias2), (float)Eps, Maximize);
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter): Adam with decoupled weight decay, p ← p·(1 − lr·λ) first, then the Adam step
/// without decay in the gradient. PyTorch's default λ = 0.01.
/// </summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, maximize) => Decoupled = true;

    public AdamW(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, maximize) => Decoupled = true;
}
