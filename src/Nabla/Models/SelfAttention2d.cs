using Nabla.NN;

namespace Nabla.Models;

/// <summary>
/// Multi-head self-attention over the H·W positions of a feature map, with a residual connection:
/// h = GN(x); q, k, v = split(qkv(h)) (a 1×1 conv to 3C); per head A = softmax(qᵀk/√d) over positions;
/// out = x + proj(v·Aᵀ). State-dict names: norm, qkv, proj.
/// </summary>
public sealed class SelfAttention2d : Module
{
    public int Channels { get; }
    public int Heads { get; }
    internal GroupNorm Norm { get; }
    internal Conv2d Qkv { get; }
    internal Conv2d Proj { get; }

    public SelfAttention2d(int channels, int groups, int heads = 1, Generator? gen = null)
    {
        if (heads <= 0 || channels % heads != 0) throw new ArgumentException($"SelfAttention2d: heads {heads} must divide channels {channels}");
        Channels = channels; Heads = heads;
        Norm = RegisterModule("norm", new GroupNorm(groups, channels));
        Qkv = RegisterModule("qkv", new Conv2d(channels, 3 * channels, 1, gen: gen));
        Proj = RegisterModule("proj", new Conv2d(channels, channels, 1, gen: gen));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Dim(1) != Channels) throw new ArgumentException($"SelfAttention2d({Channels}): input {ShapeMath.Format(x.Shape)} must be [B, {Channels}, H, W]");
        int b = x.Dim(0), h = x.Dim(2), w = x.Dim(3), l = h * w, d = Channels / Heads;
        var qkv = Qkv.Forward(Norm.Forward(x)).Reshape(b, 3, Heads, d, l);
        var parts = qkv.Split(new[] { 1, 1, 1 }, 1);
        var q = parts[0].Reshape(b, Heads, d, l); var k = parts[1].Reshape(b, Heads, d, l); var v = parts[2].Reshape(b, Heads, d, l);
        var scores = Tensor.MatMul(q.Transpose(2, 3), k) * (1f / MathF.Sqrt(d));   // [b, heads, l(query), l(key)]
        var attn = scores.Softmax(-1);
        var o = Tensor.MatMul(v, attn.Transpose(2, 3));                              // [b, heads, d, l(query)]
        return x + Proj.Forward(o.Reshape(b, Channels, h, w));
    }
}
