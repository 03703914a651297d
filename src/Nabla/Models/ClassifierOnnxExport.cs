using Nabla.IO.Onnx;
using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// ONNX export of the image classifiers: the <see cref="Classifier"/> networks (mlp: input [batch, 784]; cnn: input
/// [batch, 1, 28, 28], BatchNorm folded with its running statistics) and <see cref="FashionClassifier"/>; input
/// <c>images</c>, output <c>logits</c> [batch, classes].
/// </summary>
public static class ClassifierOnnxExport
{
    /// <summary>A <see cref="Classifier.Create"/> network of architecture <paramref name="arch"/> ("mlp" or "cnn") as ONNX.</summary>
    public static OnnxGraph ToOnnx(Module network, string arch)
    {
        ArgumentNullException.ThrowIfNull(network);
        int[] sample = Classifier.TakesFlatInput(arch) ? new[] { 784 } : new[] { 1, 28, 28 };
        return OnnxLayerExport.Export(network, sample, $"nabla_{arch.ToLowerInvariant()}", "images", "logits");
    }

    /// <summary>Writes a classifier network to an ONNX file (atomically).</summary>
    public static void ExportOnnx(Module network, string arch, string path) =>
        ToOnnx(network, arch).Save(path, $"Nabla {arch} classifier of 28×28 images");

    /// <summary>The evaluation classifier: conv-ReLU-maxpool twice, fc1-ReLU, fc2.</summary>
    public static OnnxGraph ToOnnx(this FashionClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = new OnnxGraph("nabla_fashion_classifier");
        var x = g.Input("images", OnnxElementType.Float, 1, 1, 28, 28);
        OnnxValue L(string name, OnnxValue v) => OnnxLayerExport.Apply(g, OnnxLayerExport.Child(model, name), v, name);
        var h = g.Relu(L("conv1", x));
        h = g.MaxPool(h, new[] { h.Shape[0], 16, 14, 14 }, (2, 2), (2, 2), (0, 0), (1, 1));
        h = g.Relu(L("conv2", h));
        h = g.MaxPool(h, new[] { h.Shape[0], 32, 7, 7 }, (2, 2), (2, 2), (0, 0), (1, 1));
        h = g.Relu(L("fc1", g.Reshape(h, h.Shape[0], 32 * 7 * 7)));
        g.Output(L("fc2", h), "logits");
        return g;
    }
}
