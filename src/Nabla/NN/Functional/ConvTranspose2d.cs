using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>Transposed 2-D convolution with the same stride, padding, output padding and dilation on both axes.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0,
        int dilation = 1, int groups = 1)
        => ConvTranspose2d(x, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), (dilation, dilation), groups);

    /// <summary>
    /// Transposed 2-D convolution (torch.nn.functional.conv_transpose2d), x [N, Cin, H, W], W [Cin, Cout/groups, kh, kw]
    /// → y [N, Cout, OH, OW], OH = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1.
    /// As in the notes, every input pixel x[n, c, i, j] scatters a copy of the whole kernel, scaled by its value,
    /// onto the output at (i·s − p + u·d, j·s − p + v·d) for each tap (u, v), and overlapping copies are summed:
    /// y[n, o, i·s − p + u·d, j·s − p + v·d] += x[n, c, i, j] · W[c, o, u, v] (+ b[o]); taps falling outside are dropped.
    /// That scatter is computed exactly as a GEMM and a fold: per image and group, col = Wᵀ·x
    /// (col [Cout/groups·kh·kw, H·W]: each column holds one input pixel times the whole kernel) then y = col2im(col),
    /// which sums the overlaps. It is the adjoint of Conv2d with the same weight. (With a row-table GEMM kernel and dilation 1 the
    /// forward pass runs instead as s_h·s_w stride-1 sub-pixel products, <see cref="Kernels.SubPixelConv"/>: same sums, no fold.) Backward: col = im2col(∂y),
    /// ∂x = W·col, ∂W += x·colᵀ, ∂b = Σ ∂y. output_padding only enlarges the output (those rows/columns get the bias).
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding,
        (int h, int w) outputPadding, (int h, int w) dilation, int groups = 1)
    {
        var geo = ConvArgs.Check("ConvTranspose2d", x, weight, bias, stride, padding, dilation, groups, transposed: true, outputPadding);
        return ConvStrategy.Choose(geo, groups, transposed: true) switch
        {
            ConvStrategyKind.Grouped => GroupedConv.ConvTranspose2d(x, weight, bias, geo, groups),
            ConvStrategyKind.ImplicitGemm => ImplicitGemmConv.Instance.ConvTranspose2d(x, weight, bias, geo),
            _ => Im2ColConv.Instance.ConvTranspose2d(x, weight, bias, geo),
        };
    }
}
