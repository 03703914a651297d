namespace Nabla.NN;

/// <summary>Average pooling layer (torch.nn.AvgPool2d, ceil_mode = false, count_include_pad = true by default). No parameters.</summary>
public sealed class AvgPool2d : Module
{
    public (int h, int w) KernelSize { get; }
    public (int h, int w) Stride { get; }
    public (int h, int w) Padding { get; }
    public bool CountIncludePad { get; }

    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), countIncludePad) { }

    public AvgPool2d((int h, int w) kernelSize, (int h, int w)? stride, (int h, int w) padding, bool countIncludePad = true)
    {
        if (kernelSize.h <= 0 || kernelSize.w <= 0) throw new ArgumentException($"AvgPool2d: kernel size must be positive, got ({kernelSize.h}, {kernelSize.w})");
        KernelSize = kernelSize; Stride = stride ?? kernelSize; Padding = padding; CountIncludePad = countIncludePad;
    }

    public override Tensor Forward(Tensor x) => Functional.AvgPool2d(x, KernelSize, Stride, Padding, CountIncludePad);
    public override string ToString() => $"AvgPool2d(kernel_size=({KernelSize.h}, {KernelSize.w}), stride=({Stride.h}, {Stride.w}), padding=({Padding.h}, {Padding.w}))";
}
