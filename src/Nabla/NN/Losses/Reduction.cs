namespace Nabla.NN;

/// <summary>How a loss combines its per-element terms ℓ_i.</summary>
public enum Reduction
{
    /// <summary>(1/n)·Σ ℓ_i (PyTorch's default).</summary>
    Mean,
    /// <summary>Σ ℓ_i.</summary>
    Sum,
    /// <summary>The per-element terms, unreduced.</summary>
    None,
    /// <summary>½·Σ ℓ_i (the notes' L = ½·Σ(ŷ − y)² form; MSE only).</summary>
    HalfSum,
}
