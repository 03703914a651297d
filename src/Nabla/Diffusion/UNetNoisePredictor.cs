using Nabla.Models;

namespace Nabla.Diffusion;

/// <summary>Builds the diffusion code's view of a network (Diffusion uses Models, never the reverse).</summary>
public static class UNetNoisePredictor
{
    /// <summary>
    /// <paramref name="model"/> as the network of the samplers and the loss: its raw output (ε̂, x̂_0 or v̂, as the
    /// objective it was trained with; see <see cref="Prediction"/>).
    /// </summary>
    public static NoisePredictor AsNoisePredictor(this UNet model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return (x, t, labels) => model.Forward(x, t, labels);
    }
}
