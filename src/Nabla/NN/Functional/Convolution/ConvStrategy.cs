using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>The algorithms that compute a convolution.</summary>
public enum ConvStrategyKind
{
    /// <summary>Stride-1 forward and ∂x as products with the padded image read through a row table (no im2col matrix).</summary>
    ImplicitGemm,
    /// <summary>im2col / col2im over chunks of images, one GEMM per chunk.</summary>
    Im2Col,
    /// <summary>groups &gt; 1: one product per image and group.</summary>
    Grouped,
}

/// <summary>Picks the convolution algorithm for a geometry, and says why.</summary>
public static class ConvStrategy
{
    /// <summary>
    /// The algorithm for a convolution of this geometry (one group of one image; for a transposed convolution the
    /// geometry of its adjoint). Grouped for groups &gt; 1; implicit GEMM for stride-1, non-pointwise convolutions when the
    /// GEMM kernel reads B through a row table and <see cref="Functional.ConvAlgorithm"/> is <see cref="ConvAlgorithm.Auto"/>;
    /// im2col otherwise (always for transposed convolutions, whose forward pass is a col2im fold).
    /// </summary>
    public static ConvStrategyKind Choose(in ConvGeometry g, int groups, bool transposed)
    {
        if (groups > 1) return ConvStrategyKind.Grouped;
        if (!transposed && Functional.ConvAlgorithm == ConvAlgorithm.Auto && ImplicitGemmConv.Applies(g)) return ConvStrategyKind.ImplicitGemm;
        return ConvStrategyKind.Im2Col;
    }

    /// <summary>Why <see cref="Choose"/> picks what it picks, in words (for logs and the README).</summary>
    public static string Explain(in ConvGeometry g, int groups, bool transposed) => Choose(g, groups, transposed) switch
    {
        ConvStrategyKind.Grouped => $"grouped: groups = {groups}, one product per image and group",
        ConvStrategyKind.ImplicitGemm => $"implicit GEMM: stride 1 and the {Gemm.Kernel} kernel reads the padded image through a row table",
        _ => transposed ? "im2col: a transposed convolution is a product and a col2im fold"
            : Functional.ConvAlgorithm == ConvAlgorithm.Im2Col ? "im2col: forced by ConvAlgorithm.Im2Col (NABLA_CONV)"
            : g.IsPointwise ? "im2col: a 1×1 stride-1 kernel multiplies the image itself"
            : g.SH != 1 || g.SW != 1 ? $"im2col: stride ({g.SH}, {g.SW}) > 1"
            : $"im2col: the {Gemm.Kernel} kernel has no row-table product",
    };
}
