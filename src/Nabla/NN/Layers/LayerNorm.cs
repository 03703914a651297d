namespace Nabla.NN;

/// <summary>
/// Layer normalization over the trailing <see cref="NormalizedShape"/> dimensions: y = (x − μ)/√(σ² + ε)·γ + β with
/// μ, σ² (biased) over those dimensions; γ = 1, β = 0 initially, shaped like normalized_shape.
/// </summary>
public sealed class LayerNorm : Module
{
    public int[] NormalizedShape { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: normalized_shape {ShapeMath.Format(normalizedShape)} must be non-empty with positive sizes");
        if (!(eps > 0)) throw new ArgumentException($"LayerNorm: eps must be positive, got {eps}");
        NormalizedShape = (int[])normalizedShape.Clone(); Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape));
            if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape));
        }
    }

    /// <summary>Normalizes over the last dimension of size <paramref name="normalizedSize"/>.</summary>
    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
        : this(new[] { normalizedSize }, eps, elementwiseAffine, bias) { }

    public override Tensor Forward(Tensor x) => Functional.LayerNorm(x, NormalizedShape, Weight, Bias, Eps);
}
