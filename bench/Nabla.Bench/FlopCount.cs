using Nabla.Models;
using Nabla.NN;

namespace Nabla.Bench;

/// <summary>
/// Floating-point work of a network's forward pass per sample, counted from its layer shapes: 2·MACs of every
/// convolution, transposed convolution, linear layer and attention product (biases, norms, activations and other
/// elementwise work are not counted — the usual convention). A training step is counted as 3× the forward
/// (the forward product plus the two backward products ∂X and ∂W). <c>gflops_effective</c> = counted work / time.
/// </summary>
public static class FlopCount
{
    /// <summary>Training step = forward + ∂X + ∂W, each a product of the forward's size.</summary>
    public const double TrainFactor = 3;

    /// <summary>GFLOPS of <paramref name="flops"/> done in <paramref name="seconds"/>, rounded for a JSON line.</summary>
    public static double Gflops(double flops, double seconds) => Math.Round(flops / seconds / 1e9, 2);

    /// <summary>2·C_out·(C_in/g)·k_h·k_w per output pixel; returns the work and the output size.</summary>
    public static (double flops, int h, int w) Conv(Conv2d c, int h, int w)
    {
        int ho = (h + 2 * c.Padding.h - c.Dilation.h * (c.KernelSize.h - 1) - 1) / c.Stride.h + 1;
        int wo = (w + 2 * c.Padding.w - c.Dilation.w * (c.KernelSize.w - 1) - 1) / c.Stride.w + 1;
        return (2.0 * c.OutChannels * (c.InChannels / c.Groups) * c.KernelSize.h * c.KernelSize.w * ho * wo, ho, wo);
    }

    /// <summary>2·C_in·(C_out/g)·k_h·k_w per input pixel (each input pixel is scattered through the whole kernel).</summary>
    public static (double flops, int h, int w) ConvTranspose(ConvTranspose2d c, int h, int w)
    {
        int ho = (h - 1) * c.Stride.h - 2 * c.Padding.h + c.Dilation.h * (c.KernelSize.h - 1) + c.OutputPadding.h + 1;
        int wo = (w - 1) * c.Stride.w - 2 * c.Padding.w + c.Dilation.w * (c.KernelSize.w - 1) + c.OutputPadding.w + 1;
        return (2.0 * c.InChannels * (c.OutChannels / c.Groups) * c.KernelSize.h * c.KernelSize.w * h * w, ho, wo);
    }

    public static double Linear(Linear l) => 2.0 * l.InFeatures * l.OutFeatures;

    /// <summary>Sum over the Linear layers, each applied once per sample (mlp, vae: networks of linear layers only).</summary>
    public static double LinearLayers(Module m) => m.NamedModules().Select(p => p.Value).OfType<Linear>().Sum(Linear);

    /// <summary>
    /// A Sequential of Conv2d / Linear / shape-preserving layers on one sample of [c, h, w] (cnn): the spatial size is
    /// carried through the convolutions; Flatten and the element-wise layers (BatchNorm, ReLU) cost nothing here.
    /// </summary>
    public static double Sequential(Sequential s, int h, int w)
    {
        double total = 0;
        for (int i = 0; i < s.Count; i++)
            switch (s[i])
            {
                case Conv2d c: { var (f, ho, wo) = Conv(c, h, w); total += f; h = ho; w = wo; break; }
                case Linear l: total += Linear(l); break;
                case Sequential inner: total += Sequential(inner, h, w); break;
            }
        return total;
    }

    /// <summary>
    /// One image through the UNet at its configured size: time MLP, conv_in, every level's residual blocks, attention
    /// and resampling convolutions, the middle, out_conv. For the `ddpm` workload's network 0.2154 GFLOP.
    /// </summary>
    public static double UNetForward(UNet u)
    {
        int h = u.Config.ImageSize, w = h;
        double total = Linear(u.TimeMlp.First) + Linear(u.TimeMlp.Second);
        total += Conv(u.ConvIn, h, w).flops;
        foreach (var d in u.Downs)
        {
            total += ResBlock(d.Res, h, w) + Blocks(d.More, h, w) + Attention(d.Attn, h, w);
            (double f, h, w) = Conv(d.Down, h, w);
            total += f;
        }
        total += ResBlock(u.Mid1, h, w) + Attention(u.MidAttn, h, w) + ResBlock(u.Mid2, h, w);
        foreach (var up in u.Ups)
        {
            (double f, h, w) = up.UpConv switch
            {
                ConvTranspose2d ct => ConvTranspose(ct, h, w),
                Conv2d c => Conv(c, 2 * h, 2 * w),   // nearest ×2, then a 3×3 convolution
                var m => throw new NotSupportedException($"FlopCount: unknown upsampling module {m.GetType().Name}"),
            };
            total += f + ResBlock(up.Res, h, w) + Blocks(up.More, h, w) + Attention(up.Attn, h, w);
        }
        return total + Conv(u.OutConv, h, w).flops;
    }

    /// <summary>conv1 + conv2 (+ the 1×1 skip) at h×w, and the time projection.</summary>
    static double ResBlock(ResBlock r, int h, int w) =>
        Conv(r.Conv1, h, w).flops + Conv(r.Conv2, h, w).flops + (r.Skip != null ? Conv(r.Skip, h, w).flops : 0) + Linear(r.TembProj);

    static double Blocks(ModuleList? more, int h, int w) => more == null ? 0 : more.Cast<ResBlock>().Sum(r => ResBlock(r, h, w));

    /// <summary>qkv and proj 1×1 convolutions, then per head qᵀk and v·Aᵀ: 2·L²·d each over L = h·w positions, Σ_heads d = C.</summary>
    static double Attention(SelfAttention2d? a, int h, int w)
    {
        if (a == null) return 0;
        double l = (double)h * w;
        return Conv(a.Qkv, h, w).flops + Conv(a.Proj, h, w).flops + 2 * (2 * l * l * a.Channels);
    }
}
