using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// One level of the UNet's down path: residual blocks (<c>res</c>, then <c>more.0</c>, <c>more.1</c>, …), an optional
/// self-attention (<c>attn</c>) — their output is the skip — then a stride-2 3×3 conv (<c>down</c>) halving H and W.
/// </summary>
public sealed class UNetDownLevel : Module
{
    public ResBlock Res { get; }
    public ModuleList? More { get; }
    public SelfAttention2d? Attn { get; }
    internal Conv2d Down { get; }

    public UNetDownLevel(int inChannels, int outChannels, int blocks, int tembDim, int groups, bool attention, int heads, Generator? gen)
    {
        Res = RegisterModule("res", new ResBlock(inChannels, outChannels, tembDim, groups, gen));
        if (blocks > 1)
        {
            More = RegisterModule("more", new ModuleList());
            for (int i = 1; i < blocks; i++) More.Add(new ResBlock(outChannels, outChannels, tembDim, groups, gen));
        }
        if (attention) Attn = RegisterModule("attn", new SelfAttention2d(outChannels, groups, heads, gen));
        Down = RegisterModule("down", new Conv2d(outChannels, outChannels, 3, stride: 2, padding: 1, gen: gen));
    }

    /// <summary>The level's features at full resolution (the skip), before downsampling.</summary>
    public Tensor Blocks(Tensor x, Tensor tembSilu)
    {
        var h = Res.Forward(x, tembSilu);
        if (More != null) foreach (var m in More) h = ((ResBlock)m).Forward(h, tembSilu);
        return Attn != null ? Attn.Forward(h) : h;
    }

    /// <summary>Halves the resolution.</summary>
    public Tensor Downsample(Tensor h) => Down.Forward(h);
}

/// <summary>
/// One level of the UNet's up path: double H and W (<c>upconv</c>: a transposed conv, or nearest ×2 then a 3×3 conv),
/// concatenate [upsampled, skip] along channels, then residual blocks (<c>res</c>, <c>more.*</c>) and optional <c>attn</c>.
/// </summary>
public sealed class UNetUpLevel : Module
{
    public UpsampleMode Mode { get; }
    internal Module UpConv { get; }
    public ResBlock Res { get; }
    public ModuleList? More { get; }
    public SelfAttention2d? Attn { get; }

    public UNetUpLevel(int inChannels, int skipChannels, int outChannels, int blocks, int tembDim, int groups, bool attention, int heads, UpsampleMode mode, Generator? gen)
    {
        Mode = mode;
        UpConv = RegisterModule<Module>("upconv", mode == UpsampleMode.TransposedConv
            ? new ConvTranspose2d(inChannels, inChannels, 4, stride: 2, padding: 1, gen: gen)
            : new Conv2d(inChannels, inChannels, 3, padding: 1, gen: gen));
        Res = RegisterModule("res", new ResBlock(inChannels + skipChannels, outChannels, tembDim, groups, gen));
        if (blocks > 1)
        {
            More = RegisterModule("more", new ModuleList());
            for (int i = 1; i < blocks; i++) More.Add(new ResBlock(outChannels, outChannels, tembDim, groups, gen));
        }
        if (attention) Attn = RegisterModule("attn", new SelfAttention2d(outChannels, groups, heads, gen));
    }

    public Tensor Forward(Tensor x, Tensor skip, Tensor tembSilu)
    {
        var up = Mode == UpsampleMode.TransposedConv ? UpConv.Forward(x) : UpConv.Forward(Functional.Interpolate(x, 2.0));
        if (up.Dim(2) != skip.Dim(2) || up.Dim(3) != skip.Dim(3))
            throw new ArgumentException($"UNet up level: upsampled {ShapeMath.Format(up.Shape)} does not match skip {ShapeMath.Format(skip.Shape)}");
        var h = Res.Forward(Tensor.Concat(new[] { up, skip }, 1), tembSilu);
        if (More != null) foreach (var m in More) h = ((ResBlock)m).Forward(h, tembSilu);
        return Attn != null ? Attn.Forward(h) : h;
    }
}
