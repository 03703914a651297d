namespace Nabla.NN;

/// <summary>Adaptive average pooling layer (torch.nn.AdaptiveAvgPool2d): any H×W to a fixed output size. No parameters.</summary>
public sealed class AdaptiveAvgPool2d : Module
{
    public (int h, int w) OutputSize { get; }

    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) { }

    public AdaptiveAvgPool2d((int h, int w) outputSize)
    {
        if (outputSize.h <= 0 || outputSize.w <= 0) throw new ArgumentException($"AdaptiveAvgPool2d: output size must be positive, got ({outputSize.h}, {outputSize.w})");
        OutputSize = outputSize;
    }

    public override Tensor Forward(Tensor x) => Functional.AdaptiveAvgPool2d(x, OutputSize);
    public override string ToString() => $"AdaptiveAvgPool2d(output_size=({OutputSize.h}, {OutputSize.w}))";
}
