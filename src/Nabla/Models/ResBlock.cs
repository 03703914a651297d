using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// The DDPM residual block: h = conv1(SiLU(GN(x))); h += temb_proj(SiLU(temb)) broadcast over H, W;
/// h = conv2(SiLU(GN(h))); return h + skip(x), skip = conv1×1 when the channel count changes, else identity.
/// State-dict names: norm1, conv1, temb_proj, norm2, conv2, skip.
/// </summary>
public sealed class ResBlock : Module
{
    public int InChannels { get; }
    public int OutChannels { get; }
    internal GroupNorm Norm1 { get; }
    internal Conv2d Conv1 { get; }
    public Linear TembProj { get; }
    internal GroupNorm Norm2 { get; }
    internal Conv2d Conv2 { get; }
    internal Conv2d? Skip { get; }

    public ResBlock(int inChannels, int outChannels, int tembDim, int groups, Generator? gen = null)
    {
        InChannels = inChannels; OutChannels = outChannels;
        Norm1 = RegisterModule("norm1", new GroupNorm(groups, inChannels));
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, padding: 1, gen: gen));
        TembProj = RegisterModule("temb_proj", new Linear(tembDim, outChannels, gen: gen));
        Norm2 = RegisterModule("norm2", new GroupNorm(groups, outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, gen: gen));
        if (inChannels != outChannels) Skip = RegisterModule("skip", new Conv2d(inChannels, outChannels, 1, gen: gen));
    }

    /// <summary>Applies the block to x [B, Cin, H, W] given SiLU(temb) [B, D] (computed once per UNet forward and shared).</summary>
    public Tensor Forward(Tensor x, Tensor tembSilu)
    {
        if (x.Rank != 4 || x.Dim(1) != InChannels)
            throw new ArgumentException($"ResBlock({InChannels}→{OutChannels}): input {ShapeMath.Format(x.Shape)} must be [B, {InChannels}, H, W]");
        var h = Conv1.Forward(UNetOps.NormSilu(Norm1, x));
        var tp = TembProj.Forward(tembSilu);
        h = h + tp.Reshape(tp.Dim(0), OutChannels, 1, 1);
        h = Conv2.Forward(UNetOps.NormSilu(Norm2, h));
        return h + (Skip != null ? Skip.Forward(x) : x);
    }
}

/// <summary>Small shared pieces of the UNet.</summary>
internal static class UNetOps
{
    /// <summary>SiLU(GroupNorm(x)).</summary>
    public static Tensor NormSilu(GroupNorm norm, Tensor x) => Functional.GroupNormSilu(x, norm.NumGroups, norm.Weight, norm.Bias, norm.Eps);
}
