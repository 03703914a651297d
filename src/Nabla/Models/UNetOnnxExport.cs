using Nabla.IO.Onnx;
using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// ONNX export of a <see cref="UNet"/>: inputs <c>x</c> [batch, C, S, S] (float), <c>t</c> [batch] (float timesteps) and,
/// for a class-conditional model, <c>labels</c> [batch] (int64, NumClasses = no label); output <c>eps</c> = ε̂, shaped
/// like x. Everything the forward computes is in the graph: the sinusoidal features of t (Mul by the frequencies
/// f_i, Sin, Cos, Concat), the time MLP, the label embedding (Gather), GroupNorm (InstanceNormalization between
/// reshapes), SiLU (Sigmoid·Mul), self-attention (MatMul, Softmax), ConvTranspose or nearest Resize + Conv.
/// </summary>
public static class UNetOnnxExport
{
    /// <summary>The network as an ONNX graph (opset <see cref="OnnxGraph.Opset"/>) with a dynamic batch axis.</summary>
    public static OnnxGraph ToOnnx(this UNet model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        var g = new OnnxGraph("nabla_unet");
        var x = g.Input("x", OnnxElementType.Float, 1, cfg.InChannels, cfg.ImageSize, cfg.ImageSize);
        var t = g.Input("t", OnnxElementType.Float, 1);
        var labels = model.LabelEmb != null ? g.Input("labels", OnnxElementType.Int64, 1) : null;

        var temb = TimeMlp(g, model.TimeMlp, t);
        if (labels != null) temb = g.Add(temb, g.Gather(g.Initializer("label_emb.weight", model.LabelEmb!.Weight), labels, cfg.TimeEmbedDim));
        var ts = g.Silu(temb);
        var h = Layer(g, model.ConvIn, "conv_in", x);
        var skips = new OnnxValue[model.Downs.Count];
        for (int l = 0; l < model.Downs.Count; l++)
        {
            var down = model.Downs[l];
            string p = $"down{l + 1}";
            h = ResBlocks(g, down.Res, down.More, p, h, ts);
            if (down.Attn != null) h = Attention(g, down.Attn, $"{p}.attn", h);
            skips[l] = h;
            h = Layer(g, down.Down, $"{p}.down", h);
        }
        h = ResBlock(g, model.Mid1, "mid1", h, ts);
        if (model.MidAttn != null) h = Attention(g, model.MidAttn, "mid_attn", h);
        h = ResBlock(g, model.Mid2, "mid2", h, ts);
        for (int i = 0; i < model.Ups.Count; i++)
        {
            var up = model.Ups[i];
            string p = $"up{model.Ups.Count - i}";
            var u = up.Mode == UpsampleMode.TransposedConv ? h : g.ResizeNearest(h, new[] { h.Shape[0], h.Shape[1], 2 * h.Shape[2], 2 * h.Shape[3] });
            u = Layer(g, up.UpConv, $"{p}.upconv", u);
            h = ResBlocks(g, up.Res, up.More, p, g.Concat(1, u, skips[model.Ups.Count - 1 - i]), ts);
            if (up.Attn != null) h = Attention(g, up.Attn, $"{p}.attn", h);
        }
        h = Layer(g, model.OutConv, "out_conv", g.Silu(Layer(g, model.OutNorm, "out_norm", h)));
        g.Output(h, "eps");
        return g;
    }

    /// <summary>Writes the network to an ONNX file (atomically).</summary>
    public static void ExportOnnx(this UNet model, string path) =>
        model.ToOnnx().Save(path, $"Nabla UNet ε-predictor; config {model.Config.ToJson()}");

    static OnnxValue Layer(OnnxGraph g, Module m, string name, OnnxValue x) => OnnxLayerExport.Apply(g, m, x, name);

    /// <summary>MLP(sinusoidal(t)) with sinusoidal(t) = [sin(t·f), cos(t·f)] computed in the graph.</summary>
    static OnnxValue TimeMlp(OnnxGraph g, TimeEmbedding te, OnnxValue t)
    {
        int half = te.SinusoidalDim / 2;
        var freqs = g.Initializer("time_mlp.frequencies", TimeEmbedding.Frequencies(te.SinusoidalDim), 1, half);
        var args = g.Op("Mul", "time_args", new[] { t.Shape[0], half }, new[] { g.Unsqueeze(t, 1).Name, freqs });
        var features = g.Concat(1, g.Unary("Sin", args), g.Unary("Cos", args));
        var h = g.Silu(Layer(g, te.First, "time_mlp.0", features));
        return Layer(g, te.Second, "time_mlp.2", h);
    }

    static OnnxValue ResBlocks(OnnxGraph g, ResBlock first, ModuleList? more, string prefix, OnnxValue h, OnnxValue ts)
    {
        h = ResBlock(g, first, $"{prefix}.res", h, ts);
        if (more != null)
            for (int i = 0; i < more.Count; i++) h = ResBlock(g, (ResBlock)more[i], $"{prefix}.more.{i}", h, ts);
        return h;
    }

    /// <summary>conv2(SiLU(GN(conv1(SiLU(GN(x))) + temb_proj(ts)))) + skip(x).</summary>
    static OnnxValue ResBlock(OnnxGraph g, ResBlock rb, string p, OnnxValue x, OnnxValue ts)
    {
        var h = Layer(g, rb.Conv1, $"{p}.conv1", g.Silu(Layer(g, rb.Norm1, $"{p}.norm1", x)));
        var tp = g.Unsqueeze(Layer(g, rb.TembProj, $"{p}.temb_proj", ts), 2, 3);
        h = g.Add(h, tp);
        h = Layer(g, rb.Conv2, $"{p}.conv2", g.Silu(Layer(g, rb.Norm2, $"{p}.norm2", h)));
        return g.Add(h, rb.Skip != null ? Layer(g, rb.Skip, $"{p}.skip", x) : x);
    }

    /// <summary>x + proj(v·softmax(qᵀk/√d)ᵀ) per head, q, k, v from a 1×1 conv of GN(x).</summary>
    static OnnxValue Attention(OnnxGraph g, SelfAttention2d a, string p, OnnxValue x)
    {
        int b = x.Shape[0], c = x.Shape[1], hh = x.Shape[2], w = x.Shape[3], l = hh * w, heads = a.Heads, d = c / heads;
        var qkv = g.Reshape(Layer(g, a.Qkv, $"{p}.qkv", Layer(g, a.Norm, $"{p}.norm", x)), b, 3 * heads, d, l);
        var q = g.Slice(qkv, 1, 0, heads);
        var k = g.Slice(qkv, 1, heads, 2 * heads);
        var v = g.Slice(qkv, 1, 2 * heads, 3 * heads);
        var scores = g.Mul(g.MatMul(g.Transpose(q, 0, 1, 3, 2), k), g.FloatConstant(1f / MathF.Sqrt(d), 1));
        var attn = g.Softmax(scores, 3);
        var o = g.MatMul(v, g.Transpose(attn, 0, 1, 3, 2));
        return g.Add(x, Layer(g, a.Proj, $"{p}.proj", g.Reshape(o, b, c, hh, w)));
    }
}
