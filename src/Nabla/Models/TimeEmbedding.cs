using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// t ↦ MLP(sinusoidal(t)): sinusoidal(t)[i] = sin(t·f_i), [d/2 + i] = cos(t·f_i), f_i = exp(−ln(10000)·i/(d/2)),
/// then Linear(d → D), SiLU, Linear(D → D). Children are named "0" and "2" so the state dict equals PyTorch's
/// <c>nn.Sequential(Linear, SiLU, Linear)</c>.
/// </summary>
public sealed class TimeEmbedding : Module
{
    public int SinusoidalDim { get; }
    public int Dim { get; }
    public Linear First { get; }
    public Linear Second { get; }

    public TimeEmbedding(int sinusoidalDim, int dim, Generator? gen = null)
    {
        SinusoidalDim = sinusoidalDim; Dim = dim;
        First = RegisterModule("0", new Linear(sinusoidalDim, dim, gen: gen));
        Second = RegisterModule("2", new Linear(dim, dim, gen: gen));
    }

    /// <summary>
    /// The sinusoidal features of timesteps <paramref name="t"/> [B] as a [B, d] tensor (no gradient: t is not learned).
    /// The float32 arithmetic follows PyTorch's (freqs = exp(−ln(10000)·arange(d/2)/(d/2)), args = t·freqs) so the
    /// reference's features are reproduced.
    /// </summary>
    public static Tensor Sinusoidal(Tensor t, int dim)
    {
        if (t.Rank != 1) throw new ArgumentException($"TimeEmbedding.Sinusoidal: t must be 1-D [B], got {ShapeMath.Format(t.Shape)}");
        if (dim <= 0 || dim % 2 != 0) throw new ArgumentException($"TimeEmbedding.Sinusoidal: dim must be positive and even, got {dim}");
        int half = dim / 2, b = t.Size;
        var freqs = Frequencies(dim);
        var o = new float[b * dim];
        for (int n = 0; n < b; n++)
            for (int i = 0; i < half; i++)
            {
                float a = t.data[n] * freqs[i];
                o[n * dim + i] = (float)Math.Sin(a);
                o[n * dim + half + i] = (float)Math.Cos(a);
            }
        return new Tensor(o, b, dim);
    }

    /// <summary>f_i = exp(−ln(10000)·i/(d/2)), i = 0…d/2 − 1, in PyTorch's float32 arithmetic (the ONNX export uses the same values).</summary>
    internal static float[] Frequencies(int dim)
    {
        int half = dim / 2;
        var freqs = new float[half];
        float c = (float)-Math.Log(10000.0);
        for (int i = 0; i < half; i++) freqs[i] = (float)Math.Exp(c * i / (float)half);
        return freqs;
    }

    /// <summary>The embedding [B, D] of timesteps t [B].</summary>
    public override Tensor Forward(Tensor t) => Second.Forward(First.Forward(Sinusoidal(t, SinusoidalDim)).Silu());
}
