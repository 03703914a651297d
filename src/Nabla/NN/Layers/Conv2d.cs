namespace Nabla.NN;

/// <summary>
/// 2-D convolution layer (torch.nn.Conv2d): weight [out, in/groups, k, k], optional bias [out].
/// Default init as PyTorch: kaiming_uniform(a = √5) gives W ~ U(−1/√fan_in, 1/√fan_in), and b ~ U(−1/√fan_in, 1/√fan_in),
/// fan_in = in/groups · k·k.
/// </summary>
public sealed class Conv2d : Module
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public (int h, int w) KernelSize { get; }
    public (int h, int w) Stride { get; }
    public (int h, int w) Padding { get; }
    public (int h, int w) Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Generator? gen = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, gen) { }

    public Conv2d(int inChannels, int outChannels, (int h, int w) kernelSize, (int h, int w) stride, (int h, int w) padding,
        (int h, int w) dilation, int groups = 1, bool bias = true, Generator? gen = null)
    {
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentException($"Conv2d: channels must be positive, got in={inChannels}, out={outChannels}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: groups={groups} must divide in_channels={inChannels} and out_channels={outChannels}");
        if (kernelSize.h <= 0 || kernelSize.w <= 0) throw new ArgumentException($"Conv2d: kernel size must be positive, got ({kernelSize.h}, {kernelSize.w})");
        if (stride.h <= 0 || stride.w <= 0) throw new ArgumentException($"Conv2d: stride must be positive, got ({stride.h}, {stride.w})");
        if (padding.h < 0 || padding.w < 0) throw new ArgumentException($"Conv2d: padding must be non-negative, got ({padding.h}, {padding.w})");
        if (dilation.h <= 0 || dilation.w <= 0) throw new ArgumentException($"Conv2d: dilation must be positive, got ({dilation.h}, {dilation.w})");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize; Stride = stride; Padding = padding; Dilation = dilation; Groups = groups;
        gen ??= Generator.Default;
        int fanIn = inChannels / groups * kernelSize.h * kernelSize.w;
        float bound = 1f / MathF.Sqrt(fanIn);
        Weight = RegisterParameter("weight", Tensor.Uniform(gen, -bound, bound, outChannels, inChannels / groups, kernelSize.h, kernelSize.w));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform(gen, -bound, bound, outChannels));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"{this}: input must be 4-D [N, C, H, W], got {ShapeMath.Format(x.shape)}");
        if (x.shape[1] != InChannels) throw new ArgumentException($"{this}: input {ShapeMath.Format(x.shape)} has {x.shape[1]} channels, expected {InChannels}");
        return Functional.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);
    }

    public override string ToString() => $"Conv2d({InChannels}, {OutChannels}, kernel_size=({KernelSize.h}, {KernelSize.w}), stride=({Stride.h}, {Stride.w}), padding=({Padding.h}, {Padding.w}))";
}
