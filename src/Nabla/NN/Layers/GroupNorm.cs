namespace Nabla.NN;

/// <summary>
/// Group normalization of [N, C, *] inputs: channels split into <see cref="NumGroups"/> groups, each (sample, group)
/// normalized by its own mean and biased variance, then y = x̂·γ_c + β_c (γ = 1, β = 0 initially).
/// <see cref="ForwardSilu"/> fuses the SiLU that follows it in a UNet.
/// </summary>
public sealed class GroupNorm : Module
{
    public int NumGroups { get; }
    public int NumChannels { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public GroupNorm(int numGroups, int numChannels, float eps = 1e-5f, bool affine = true)
    {
        if (numGroups <= 0 || numChannels <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: num_channels {numChannels} must be a positive multiple of num_groups {numGroups}");
        if (!(eps > 0)) throw new ArgumentException($"GroupNorm: eps must be positive, got {eps}");
        NumGroups = numGroups; NumChannels = numChannels; Eps = eps;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numChannels));
            Bias = RegisterParameter("bias", Tensor.Zeros(numChannels));
        }
    }

    void Check(Tensor x)
    {
        if (x.Rank < 2 || x.Dim(1) != NumChannels)
            throw new ArgumentException($"GroupNorm({NumGroups}, {NumChannels}): input of shape {ShapeMath.Format(x.Shape)} must be [N, {NumChannels}, …]");
    }

    public override Tensor Forward(Tensor x) { Check(x); return Functional.GroupNorm(x, NumGroups, Weight, Bias, Eps); }

    /// <summary>SiLU(GroupNorm(x)) as one fused op.</summary>
    public Tensor ForwardSilu(Tensor x) { Check(x); return Functional.GroupNormSilu(x, NumGroups, Weight, Bias, Eps); }
}
