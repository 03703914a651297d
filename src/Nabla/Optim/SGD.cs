using Nabla.Kernels;

namespace Nabla.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay, in
/// PyTorch's exact order: d = g + λ·p; b ← μ·b + (1 − τ)·d (b = d at first); d = d + μ·b (Nesterov) or b; p ← p − lr·d.
/// </summary>
public sealed class SGD : Optimizer
{
    public double Dampening { get; }
    public bool Nesterov { get; }
    public bool Maximize { get; }

    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this(OneGroup(parameters), lr, momentum, dampening, weightDecay, nesterov, maximize) { }

    public SGD(IEnumerable<ParameterGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, lr, weightDecay, momentum)
    {
        if (!(momentum >= 0)) throw new ArgumentException($"SGD: momentum must be non-negative, got {momentum}");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException($"SGD: Nesterov momentum requires a positive momentum and zero dampening (momentum={momentum}, dampening={dampening})");
        Dampening = dampening; Nesterov = nesterov; Maximize = maximize;
    }

    protected override void Update(ParameterGroup group, Tensor p, ReadOnlySpan<float> grad, Dictionary<string, Tensor> state)
    {
        float mom = (float)group.Mom;
        Span<float> buf = default;
        bool first = false;
        if (mom != 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var b)) { state["momentum_buffer"] = b = Tensor.Zeros(p.Shape); first = true; }
            buf = b.Data;
        }
        OptimKernels.SgdStep(p.Data, grad, buf, (float)group.Lr, (float)group.Wd, mom, (float)Dampening, Nesterov, first, Maximize);
    }
}
