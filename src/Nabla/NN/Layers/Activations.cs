namespace Nabla.NN;

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module { public override Tensor Forward(Tensor x) => x.Relu(); }

/// <summary>x for x &gt; 0, slope·x otherwise (PyTorch's default slope 0.01).</summary>
public sealed class LeakyReLU : Module
{
    public float NegativeSlope { get; }
    public LeakyReLU(float negativeSlope = 0.01f) => NegativeSlope = negativeSlope;
    public override Tensor Forward(Tensor x) => x.LeakyRelu(NegativeSlope);
}

/// <summary>σ(x) = 1/(1 + e⁻ˣ).</summary>
public sealed class Sigmoid : Module { public override Tensor Forward(Tensor x) => x.Sigmoid(); }

/// <summary>tanh x.</summary>
public sealed class Tanh : Module { public override Tensor Forward(Tensor x) => x.Tanh(); }

/// <summary>x·σ(x) (swish).</summary>
public sealed class SiLU : Module { public override Tensor Forward(Tensor x) => x.Silu(); }

/// <summary>x·Φ(x) (exact erf, or the tanh approximation with approximate = "tanh").</summary>
public sealed class GELU : Module
{
    public bool TanhApproximation { get; }
    public GELU(string approximate = "none")
    {
        if (approximate != "none" && approximate != "tanh") throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\"");
        TanhApproximation = approximate == "tanh";
    }
    public override Tensor Forward(Tensor x) => x.Gelu(TanhApproximation);
}

/// <summary>(1/β)·ln(1 + e^{βx}), linear above threshold (as PyTorch).</summary>
public sealed class Softplus : Module
{
    public float Beta { get; }
    public float Threshold { get; }
    public Softplus(float beta = 1f, float threshold = 20f)
    {
        if (!(beta > 0)) throw new ArgumentException($"Softplus: beta must be positive, got {beta}");
        Beta = beta; Threshold = threshold;
    }
    public override Tensor Forward(Tensor x) => Beta == 1f ? x.Softplus(Threshold) : (x * Beta).Softplus(Threshold) / Beta;
}

/// <summary>Returns its input.</summary>
public sealed class Identity : Module { public override Tensor Forward(Tensor x) => x; }

/// <summary>softmax along <see cref="Dim"/>.</summary>
public sealed class Softmax : Module
{
    public int Dim { get; }
    public Softmax(int dim) => Dim = dim;
    public override Tensor Forward(Tensor x) => x.Softmax(Dim);
}

/// <summary>log-softmax along <see cref="Dim"/>.</summary>
public sealed class LogSoftmax : Module
{
    public int Dim { get; }
    public LogSoftmax(int dim) => Dim = dim;
    public override Tensor Forward(Tensor x) => x.LogSoftmax(Dim);
}
