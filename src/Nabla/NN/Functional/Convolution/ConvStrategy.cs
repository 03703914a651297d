using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>The algorithms that compute a convolution.</summary>
public enum ConvStrategyKind
{
    /// <summary>Row-table products, no im2col matrix: the forward pass (strided ones over the input's stride phases) and
    /// stride-1 ∂x; strided ∂x and transposed forward as stride-1 sub-pixel products (no col2im fold); ∂W by im2col chunks.</summary>
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
    /// geometry of its adjoint). Grouped for groups &gt; 1; implicit GEMM when <see cref="Functional.ConvAlgorithm"/> is
    /// <see cref="ConvAlgorithm.Auto"/>, the GEMM kernel reads B through a row table, and the geometry is a
    /// non-pointwise convolution or a transposed one with dilation 1; im2col otherwise.
    /// </summary>
    public static ConvStrategyKind Choose(in ConvGeometry g, int groups, bool transposed)
    {
        if (groups > 1) return ConvStrategyKind.Grouped;
        if (Functional.ConvAlgorithm == ConvAlgorithm.Auto && ImplicitGemmConv.Applies(g, transposed)) return ConvStrategyKind.ImplicitGemm;
        return ConvStrategyKind.Im2Col;
    }

    /// <summary>Why <see cref="Choose"/> picks what it picks, in words (for logs and the README).</summary>
    public static string Explain(in ConvGeometry g, int groups, bool transposed) => Choose(g, groups, transposed) switch
    {
        ConvStrategyKind.Grouped => $"grouped: groups = {groups}, one product per image and group",
        ConvStrategyKind.ImplicitGemm => transposed
            ? $"implicit GEMM: a transposed convolution as {g.SH * g.SW} stride-1 sub-pixel products, the {Gemm.Kernel} kernel reading the padded input through a row table (no col2im fold)"
            : g.SH != 1 || g.SW != 1
            ? $"implicit GEMM: stride ({g.SH}, {g.SW}) forward over the input's {g.SH * g.SW} stride phases, ∂x " + (g.DH == 1 && g.DW == 1
                ? $"as {g.SH * g.SW} stride-1 sub-pixel products" : "by the col2im fold (dilation > 1)") + $", through the {Gemm.Kernel} kernel's row table"
            : $"implicit GEMM: stride 1 and the {Gemm.Kernel} kernel reads the padded image through a row table",
        _ => Functional.ConvAlgorithm == ConvAlgorithm.Im2Col ? "im2col: forced by ConvAlgorithm.Im2Col (NABLA_CONV)"
            : !Gemm.RowTableSupported ? $"im2col: the {Gemm.Kernel} kernel has no row-table product"
            : transposed ? $"im2col: dilation ({g.DH}, {g.DW}) > 1 (a transposed convolution is then a product and a col2im fold)"
            : g.IsPointwise ? "im2col: a 1×1 stride-1 kernel multiplies the image itself"
            : "im2col: an empty output",
    };
}
