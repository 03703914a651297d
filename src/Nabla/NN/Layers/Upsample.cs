namespace Nabla.NN;

/// <summary>
/// Resampling layer (torch.nn.Upsample): by a scale factor or to a fixed size, with nearest, bilinear or bicubic
/// interpolation (see <see cref="Functional.Interpolate(Tensor, ValueTuple{int, int}?, ValueTuple{double, double}?, InterpolationMode, bool)"/>). No parameters.
/// </summary>
public sealed class Upsample : Module
{
    public (int h, int w)? Size { get; }
    public (double h, double w)? ScaleFactor { get; }
    public InterpolationMode Mode { get; }
    public bool AlignCorners { get; }

    /// <summary>Scales both axes by <paramref name="scaleFactor"/>.</summary>
    public Upsample(double scaleFactor, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
        : this(null, (scaleFactor, scaleFactor), mode, alignCorners) { }

    /// <summary>Exactly one of <paramref name="size"/> and <paramref name="scaleFactor"/>.</summary>
    public Upsample((int h, int w)? size = null, (double h, double w)? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        if ((size == null) == (scaleFactor == null)) throw new ArgumentException("Upsample: give exactly one of size and scaleFactor");
        if (size is (int a, int b) && (a <= 0 || b <= 0)) throw new ArgumentException($"Upsample: size must be positive, got ({a}, {b})");
        if (scaleFactor is (double fa, double fb) && (!(fa > 0) || !(fb > 0))) throw new ArgumentException($"Upsample: scale factor must be positive, got ({fa}, {fb})");
        if (alignCorners && mode == InterpolationMode.Nearest) throw new ArgumentException("Upsample: alignCorners only applies to Bilinear and Bicubic modes, not Nearest");
        Size = size; ScaleFactor = scaleFactor; Mode = mode; AlignCorners = alignCorners;
    }

    public override Tensor Forward(Tensor x) => Functional.Interpolate(x, Size, ScaleFactor, Mode, AlignCorners);
    public override string ToString() => Size is (int h, int w) ? $"Upsample(size=({h}, {w}), mode={Mode})" : $"Upsample(scale_factor=({ScaleFactor!.Value.h}, {ScaleFactor!.Value.w}), mode={Mode})";
}
