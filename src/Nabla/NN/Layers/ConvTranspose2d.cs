namespace Nabla.NN;

/// <summary>
/// Transposed 2-D convolution layer (torch.nn.ConvTranspose2d): every input pixel scatters the kernel scaled by its
/// value and overlaps are summed (see <see cref="Functional.ConvTranspose2d(Tensor, Tensor, Tensor?, int, int, int, int, int)"/>).
/// Weight [in, out/groups, k, k]. Default init as PyTorch, whose fan_in here is weight.size(1)·k·k = out/groups·k·k:
/// W, b ~ U(−1/√fan_in, 1/√fan_in).
/// </summary>
public sealed class ConvTranspose2d : Module
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public (int h, int w) KernelSize { get; }
    public (int h, int w) Stride { get; }
    public (int h, int w) Padding { get; }
    public (int h, int w) OutputPadding { get; }
    public (int h, int w) Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0,
        int groups = 1, bool bias = true, int dilation = 1, Generator? gen = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (outputPadding, outputPadding),
            groups, bias, (dilation, dilation), gen) { }

    public ConvTranspose2d(int inChannels, int outChannels, (int h, int w) kernelSize, (int h, int w) stride, (int h, int w) padding,
        (int h, int w) outputPadding, int groups, bool bias, (int h, int w) dilation, Generator? gen = null)
    {
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentException($"ConvTranspose2d: channels must be positive, got in={inChannels}, out={outChannels}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: groups={groups} must divide in_channels={inChannels} and out_channels={outChannels}");
        if (kernelSize.h <= 0 || kernelSize.w <= 0) throw new ArgumentException($"ConvTranspose2d: kernel size must be positive, got ({kernelSize.h}, {kernelSize.w})");
        if (stride.h <= 0 || stride.w <= 0) throw new ArgumentException($"ConvTranspose2d: stride must be positive, got ({stride.h}, {stride.w})");
        if (padding.h < 0 || padding.w < 0) throw new ArgumentException($"ConvTranspose2d: padding must be non-negative, got ({padding.h}, {padding.w})");
        if (dilation.h <= 0 || dilation.w <= 0) throw new ArgumentException($"ConvTranspose2d: dilation must be positive, got ({dilation.h}, {dilation.w})");
        if (outputPadding.h < 0 || outputPadding.w < 0 || (outputPadding.h >= stride.h && outputPadding.h >= dilation.h) || (outputPadding.w >= stride.w && outputPadding.w >= dilation.w))
            throw new ArgumentException($"ConvTranspose2d: output_padding ({outputPadding.h}, {outputPadding.w}) must be non-negative and smaller than either stride ({stride.h}, {stride.w}) or dilation ({dilation.h}, {dilation.w})");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize; Stride = stride; Padding = padding;
        OutputPadding = outputPadding; Dilation = dilation; Groups = groups;
        gen ??= Generator.Default;
        int fanIn = outChannels / groups * kernelSize.h * kernelSize.w;
        float bound = 1f / MathF.Sqrt(fanIn);
        Weight = RegisterParameter("weight", Tensor.Uniform(gen, -bound, bound, inChannels, outChannels / groups, kernelSize.h, kernelSize.w));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform(gen, -bound, bound, outChannels));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"{this}: input must be 4-D [N, C, H, W], got {ShapeMath.Format(x.shape)}");
        if (x.shape[1] != InChannels) throw new ArgumentException($"{this}: input {ShapeMath.Format(x.shape)} has {x.shape[1]} channels, expected {InChannels}");
        return Functional.ConvTranspose2d(x, Weight, Bias, Stride, Padding, OutputPadding, Dilation, Groups);
    }

    public override string ToString() => $"ConvTranspose2d({InChannels}, {OutChannels}, kernel_size=({KernelSize.h}, {KernelSize.w}), stride=({Stride.h}, {Stride.w}), padding=({Padding.h}, {Padding.w}))";
}
