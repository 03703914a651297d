using System.Numerics.Tensors;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>max(x, 0); d/dx = 1 where x &gt; 0.</summary>
    public Tensor Relu() => Unary.Apply(this, "Relu", static (x, y) => TensorPrimitives.Max(x, 0f, y),
        static (x, y, gy, gx) => Kernels.Activation.ReluBackward(x, gy, gx));

    /// <summary>σ(x) = 1/(1+e⁻ˣ); d/dx = σ(1−σ).</summary>
    public Tensor Sigmoid() => Unary.Apply(this, "Sigmoid", static (x, y) => TensorPrimitives.Sigmoid(x, y),
        static (x, y, gy, gx) => Kernels.Activation.SigmoidBackward(y, gy, gx));

    /// <summary>tanh x; d/dx = 1 − tanh².</summary>
    public Tensor Tanh() => Unary.Apply(this, "Tanh", static (x, y) => TensorPrimitives.Tanh(x, y),
        static (x, y, gy, gx) => Kernels.Activation.TanhBackward(y, gy, gx));

    /// <summary>SiLU (swish) x·σ(x); d/dx = σ(x)·(1 + x·(1 − σ(x))).</summary>
    public Tensor Silu() => Unary.Apply(this, "Silu", static (x, y) => Kernels.Activation.SiluForward(x, y), static (x, y, gy, gx) => Kernels.Activation.SiluBackward(x, gy, gx));

    /// <summary>GELU x·Φ(x) (exact, with erf) or its tanh approximation; d/dx = Φ(x) + x·φ(x).</summary>
    public Tensor Gelu(bool tanhApproximation = false) => tanhApproximation
        ? Unary.Apply(this, "GeluTanh", static (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = Kernels.Activation.GeluTanh(x[i], out _); },
            static (x, y, gy, gx) => { for (int i = 0; i < gx.Length; i++) { Kernels.Activation.GeluTanh(x[i], out float d); gx[i] = gy[i] * d; } })
        : Unary.Apply(this, "Gelu", static (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = Kernels.Activation.Gelu(x[i], out _); },
            static (x, y, gy, gx) => { for (int i = 0; i < gx.Length; i++) { Kernels.Activation.Gelu(x[i], out float d); gx[i] = gy[i] * d; } });

    /// <summary>softplus(x) = ln(1 + eˣ) (x itself above <paramref name="threshold"/>, as PyTorch); d/dx = σ(x).</summary>
    public Tensor Softplus(float threshold = 20f) => Unary.Apply(this, "Softplus",
        (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = x[i] > threshold ? x[i] : MathF.Max(x[i], 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x[i]))); },
        (x, y, gy, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > threshold ? gy[i] : gy[i] / (1f + MathF.Exp(-x[i])); });

    /// <summary>Leaky ReLU: x for x &gt; 0, slope·x otherwise.</summary>
    public Tensor LeakyRelu(float slope = 0.01f) => Unary.Apply(this, "LeakyRelu",
        (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i]; },
        (x, y, gy, gx) => Kernels.Activation.LeakyReluBackward(x, gy, gx, slope));
}
