namespace Nabla.NN;

/// <summary>Max pooling layer (torch.nn.MaxPool2d, ceil_mode = false); stride defaults to the kernel size. No parameters.</summary>
public sealed class MaxPool2d : Module
{
    public (int h, int w) KernelSize { get; }
    public (int h, int w) Stride { get; }
    public (int h, int w) Padding { get; }
    public (int h, int w) Dilation { get; }

    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation)) { }

    public MaxPool2d((int h, int w) kernelSize, (int h, int w)? stride, (int h, int w) padding, (int h, int w) dilation)
    {
        if (kernelSize.h <= 0 || kernelSize.w <= 0) throw new ArgumentException($"MaxPool2d: kernel size must be positive, got ({kernelSize.h}, {kernelSize.w})");
        KernelSize = kernelSize; Stride = stride ?? kernelSize; Padding = padding; Dilation = dilation;
    }

    public override Tensor Forward(Tensor x) => Functional.MaxPool2d(x, KernelSize, Stride, Padding, Dilation);
    public override string ToString() => $"MaxPool2d(kernel_size=({KernelSize.h}, {KernelSize.w}), stride=({Stride.h}, {Stride.w}), padding=({Padding.h}, {Padding.w}))";
}
