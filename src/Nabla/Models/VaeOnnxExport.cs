using Nabla.IO.Onnx;

namespace Nabla.Models;

/// <summary>
/// ONNX export of a VAE's decoder x̂ = σ(d(z)): input <c>z</c> [batch, LatentDim], output <c>images</c> — [batch, 784]
/// for <see cref="MlpVae"/> (dec1, ReLU, dec2, Sigmoid), [batch, 1, 28, 28] for <see cref="ConvVae"/> (dec, ReLU,
/// reshape to 64×7×7, up1, ReLU, up2, Sigmoid), as <see cref="VariationalAutoencoder.Decode"/> returns them.
/// </summary>
public static class VaeOnnxExport
{
    public static OnnxGraph DecoderToOnnx(this VariationalAutoencoder model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = new OnnxGraph($"nabla_vae_{model.Architecture}_decoder");
        var z = g.Input("z", OnnxElementType.Float, 1, model.LatentDim);
        OnnxValue L(string name, OnnxValue v) => OnnxLayerExport.Apply(g, OnnxLayerExport.Child(model, name), v, name);
        OnnxValue logits = model switch
        {
            MlpVae => L("dec2", g.Relu(L("dec1", z))),
            ConvVae => L("up2", g.Relu(L("up1", g.Reshape(g.Relu(L("dec", z)), 1, 64, 7, 7)))),
            _ => throw OnnxLayerExport.Unsupported(model, "", "only the mlp and conv VAEs have an ONNX decoder"),
        };
        g.Output(g.Sigmoid(logits), "images");
        return g;
    }

    /// <summary>Writes the decoder to an ONNX file (atomically).</summary>
    public static void ExportDecoderOnnx(this VariationalAutoencoder model, string path) =>
        model.DecoderToOnnx().Save(path, $"Nabla {model.Architecture} VAE decoder, latent {model.LatentDim}");
}
