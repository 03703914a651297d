namespace Nabla.NN;

/// <summary>
/// y = x·Wᵀ + b, W of shape [out, in] (PyTorch's layout). Default init as PyTorch: W, b ~ U(−1/√in, 1/√in)
/// (kaiming_uniform with a = √5 gives the same bound for W).
/// </summary>
public sealed class Linear : Module
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? gen = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentException($"Linear: features must be positive, got in={inFeatures}, out={outFeatures}");
        InFeatures = inFeatures; OutFeatures = outFeatures;
        gen ??= Generator.Default;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Tensor.Uniform(gen, -bound, bound, outFeatures, inFeatures));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform(gen, -bound, bound, outFeatures));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Dim(-1) != InFeatures)
            throw new ArgumentException($"Linear({InFeatures}→{OutFeatures}): input of shape {ShapeMath.Format(x.Shape)} must end in {InFeatures}");
        return Functional.Linear(x, Weight, Bias);
    }
}
