namespace Nabla.Diffusion;

/// <summary>
/// ε_θ(x_t, t, c): a network that predicts the noise in <paramref name="x"/> [B, …] (or x_0 or v: see
/// <see cref="Prediction"/>; the samplers of <see cref="ReverseStep"/> convert) at timesteps
/// <paramref name="t"/> [B] (0-based step indices stored as floats), optionally conditioned on class
/// <paramref name="labels"/> [B] (indices as floats; the model's "no label" index means unconditional).
/// </summary>
public delegate Tensor NoisePredictor(Tensor x, Tensor t, Tensor? labels);

/// <summary>One reverse step as reported to a sampler's progress callback.</summary>
/// <param name="Index">0-based number of this step.</param>
/// <param name="Count">Total number of steps of the run.</param>
/// <param name="Timestep">The timestep t being denoised (0-based).</param>
/// <param name="Xt">x_t, the state entering this step.</param>
/// <param name="X0Hat">x̂_0 predicted at this step (clipped when the sampler clips).</param>
/// <remarks>The tensors belong to the step's <see cref="TensorScope"/>: read or copy them (e.g. <c>ToArray()</c>) inside the callback.</remarks>
public readonly record struct SamplingStep(int Index, int Count, int Timestep, Tensor Xt, Tensor X0Hat);
