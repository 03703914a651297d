namespace Nabla.Diffusion;

/// <summary>The reverse-process update of <see cref="ReverseStep"/> (and so of <see cref="DiffusionPipeline"/>).</summary>
public enum SamplerKind
{
    /// <summary>DDIM (Song et al. 2021) with noise scale η (0 = deterministic).</summary>
    Ddim,
    /// <summary>Ancestral sampling: x_s ~ q(x_s | x_t, x̂_0), the posterior over the visited steps (Ho et al. 2020, Algorithm 2 when every step is visited); equals DDIM with η = 1.</summary>
    Ancestral,
    /// <summary>DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): second-order multistep in λ = log(α/σ) on x̂_0; first order at the first and the final step.</summary>
    DpmSolverPP2M,
    /// <summary>Euler on the probability-flow ODE in Karras et al.'s coordinates x̃ = x/α, σ̃ = σ/α: x̃' = x̃ + (σ̃' − σ̃)·ε̂. (This is the same update as DDIM with η = 0.)</summary>
    Euler,
}
