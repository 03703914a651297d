using Nabla.Kernels;
using Nabla.NN;

// TEMPORARY: minimal Conv2d / ConvTranspose2d / GroupNorm / Embedding used by the UNet until the `layers` and
// `normoptim` branches land in main (then this file is deleted and the UNet uses Nabla.NN's layers).
namespace Nabla.Models.Pending;

internal static class Im2Col
{
    /// <summary>cols[(c·k + i)·k + j, oy·wo + ox] = x[c, oy·s − p + i, ox·s − p + j] (0 outside).</summary>
    public static void Forward(ReadOnlySpan<float> x, int c, int h, int w, int k, int s, int p, int ho, int wo, Span<float> cols)
    {
        for (int ci = 0; ci < c; ci++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                {
                    var row = cols.Slice(((ci * k + i) * k + j) * ho * wo, ho * wo);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = oy * s - p + i;
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int ix = ox * s - p + j;
                            row[oy * wo + ox] = (uint)iy < (uint)h && (uint)ix < (uint)w ? x[(ci * h + iy) * w + ix] : 0f;
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Forward"/>: x[c, iy, ix] += cols[…] (overlaps summed).</summary>
    public static void Backward(ReadOnlySpan<float> cols, int c, int h, int w, int k, int s, int p, int ho, int wo, Span<float> x)
    {
        for (int ci = 0; ci < c; ci++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                {
                    var row = cols.Slice(((ci * k + i) * k + j) * ho * wo, ho * wo);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = oy * s - p + i;
                        if ((uint)iy >= (uint)h) continue;
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int ix = ox * s - p + j;
                            if ((uint)ix < (uint)w) x[(ci * h + iy) * w + ix] += row[oy * wo + ox];
                        }
                    }
                }
    }
}

internal sealed class Conv2d : Module
{
    readonly int cin, cout, k, s, p;
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? gen = null)
    {
        cin = inChannels; cout = outChannels; k = kernelSize; s = stride; p = padding;
        gen ??= Generator.Default;
        float bound = 1f / MathF.Sqrt(inChannels * k * k);
        Weight = RegisterParameter("weight", Tensor.Uniform(gen, -bound, bound, cout, cin, k, k));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform(gen, -bound, bound, cout));
    }

    public override Tensor Forward(Tensor x)
    {
        int n = x.Dim(0), h = x.Dim(2), w = x.Dim(3), ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1, kk = cin * k * k, l = ho * wo;
        var y = new float[n * cout * l];
        var wt = Weight; var b = Bias;
        for (int i = 0; i < n; i++)
        {
            var cols = new float[kk * l];
            Im2Col.Forward(x.data.AsSpan(i * cin * h * w), cin, h, w, k, s, p, ho, wo, cols);
            var yi = y.AsSpan(i * cout * l, cout * l);
            if (b != null) for (int o = 0; o < cout; o++) yi.Slice(o * l, l).Fill(b.data[o]);
            Gemm.Sgemm(false, false, cout, l, kk, wt.data, kk, cols, l, yi, l, beta: b != null ? 1f : 0f);
        }
        var inputs = b != null ? new[] { x, wt, b } : new[] { x, wt };
        return new Tensor(y, n, cout, ho, wo).Record("Conv2d", inputs, g =>
        {
            var gx = x.TracksGrad ? new float[x.Size] : null;
            var gw = wt.TracksGrad ? new float[wt.Size] : null;
            for (int i = 0; i < n; i++)
            {
                var gi = g.AsSpan(i * cout * l, cout * l);
                if (gw != null)
                {
                    var cols = new float[kk * l];
                    Im2Col.Forward(x.data.AsSpan(i * cin * h * w), cin, h, w, k, s, p, ho, wo, cols);
                    Gemm.Sgemm(false, true, cout, kk, l, gi, l, cols, l, gw, kk, beta: 1f);
                }
                if (gx != null)
                {
                    var gc = new float[kk * l];
                    Gemm.Sgemm(true, false, kk, l, cout, wt.data, kk, gi, l, gc, l);
                    Im2Col.Backward(gc, cin, h, w, k, s, p, ho, wo, gx.AsSpan(i * cin * h * w, cin * h * w));
                }
            }
            if (gx != null) x.AccumulateGrad(gx);
            if (gw != null) wt.AccumulateGrad(gw);
            if (b != null && b.TracksGrad)
            {
                var gb = new float[cout];
                for (int i = 0; i < n; i++) for (int o = 0; o < cout; o++) gb[o] += System.Numerics.Tensors.TensorPrimitives.Sum(g.AsSpan((i * cout + o) * l, l));
                b.AccumulateGrad(gb);
            }
        });
    }
}

internal sealed class ConvTranspose2d : Module
{
    readonly int cin, cout, k, s, p, op;
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? gen = null)
    {
        cin = inChannels; cout = outChannels; k = kernelSize; s = stride; p = padding; op = outputPadding;
        gen ??= Generator.Default;
        float bound = 1f / MathF.Sqrt(outChannels * k * k);
        Weight = RegisterParameter("weight", Tensor.Uniform(gen, -bound, bound, cin, cout, k, k));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform(gen, -bound, bound, cout));
    }

    public override Tensor Forward(Tensor x)
    {
        int n = x.Dim(0), h = x.Dim(2), w = x.Dim(3), ho = (h - 1) * s - 2 * p + k + op, wo = (w - 1) * s - 2 * p + k + op;
        int kk = cout * k * k, l = h * w, lo = ho * wo;
        var y = new float[n * cout * lo];
        var wt = Weight; var b = Bias;
        for (int i = 0; i < n; i++)
        {
            var cols = new float[kk * l];
            Gemm.Sgemm(true, false, kk, l, cin, wt.data, kk, x.data.AsSpan(i * cin * l, cin * l), l, cols, l);
            var yi = y.AsSpan(i * cout * lo, cout * lo);
            Im2Col.Backward(cols, cout, ho, wo, k, s, p, h, w, yi);
            if (b != null) for (int o = 0; o < cout; o++) System.Numerics.Tensors.TensorPrimitives.Add(yi.Slice(o * lo, lo), b.data[o], yi.Slice(o * lo, lo));
        }
        var inputs = b != null ? new[] { x, wt, b } : new[] { x, wt };
        return new Tensor(y, n, cout, ho, wo).Record("ConvTranspose2d", inputs, g =>
        {
            var gx = x.TracksGrad ? new float[x.Size] : null;
            var gw = wt.TracksGrad ? new float[wt.Size] : null;
            for (int i = 0; i < n; i++)
            {
                var gc = new float[kk * l];
                Im2Col.Forward(g.AsSpan(i * cout * lo, cout * lo), cout, ho, wo, k, s, p, h, w, gc);
                if (gx != null) Gemm.Sgemm(false, false, cin, l, kk, wt.data, kk, gc, l, gx.AsSpan(i * cin * l, cin * l), l);
                if (gw != null) Gemm.Sgemm(false, true, cin, kk, l, x.data.AsSpan(i * cin * l, cin * l), l, gc, l, gw, kk, beta: 1f);
            }
            if (gx != null) x.AccumulateGrad(gx);
            if (gw != null) wt.AccumulateGrad(gw);
            if (b != null && b.TracksGrad)
            {
                var gb = new float[cout];
                for (int i = 0; i < n; i++) for (int o = 0; o < cout; o++) gb[o] += System.Numerics.Tensors.TensorPrimitives.Sum(g.AsSpan((i * cout + o) * lo, lo));
                b.AccumulateGrad(gb);
            }
        });
    }
}

internal sealed class GroupNorm : Module
{
    readonly int groups, channels; readonly float eps;
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public GroupNorm(int numGroups, int numChannels, float eps = 1e-5f, bool affine = true)
    {
        groups = numGroups; channels = numChannels; this.eps = eps;
        Weight = RegisterParameter("weight", Tensor.Ones(numChannels));
        Bias = RegisterParameter("bias", Tensor.Zeros(numChannels));
    }

    public override Tensor Forward(Tensor x)
    {
        int n = x.Dim(0), c = channels, hw = x.Size / (n * c), cg = c / groups, m = cg * hw;
        var xhat = new float[x.Size]; var rstd = new float[n * groups]; var y = new float[x.Size];
        for (int i = 0; i < n * groups; i++)
        {
            var xs = x.data.AsSpan(i * m, m);
            double mean = 0; foreach (var v in xs) mean += v; mean /= m;
            double var = 0; foreach (var v in xs) var += (v - mean) * (v - mean); var /= m;
            float r = (float)(1 / Math.Sqrt(var + eps)); rstd[i] = r;
            for (int j = 0; j < m; j++) xhat[i * m + j] = (float)((xs[j] - mean) * r);
        }
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++)
            {
                int off = (i * c + ch) * hw; float gam = Weight.data[ch], bet = Bias.data[ch];
                for (int j = 0; j < hw; j++) y[off + j] = xhat[off + j] * gam + bet;
            }
        return new Tensor(y, x.Shape).Record("GroupNorm", new[] { x, Weight, Bias }, g =>
        {
            var gg = new float[c]; var gb = new float[c]; var gx = new float[x.Size];
            for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++)
                {
                    int off = (i * c + ch) * hw; float gam = Weight.data[ch];
                    for (int j = 0; j < hw; j++) { gg[ch] += g[off + j] * xhat[off + j]; gb[ch] += g[off + j]; gx[off + j] = g[off + j] * gam; }
                }
            for (int i = 0; i < n * groups; i++)
            {
                double s1 = 0, s2 = 0;
                for (int j = 0; j < m; j++) { s1 += gx[i * m + j]; s2 += gx[i * m + j] * xhat[i * m + j]; }
                float a = (float)(s1 / m), bb = (float)(s2 / m), r = rstd[i];
                for (int j = 0; j < m; j++) gx[i * m + j] = r * (gx[i * m + j] - a - xhat[i * m + j] * bb);
            }
            if (x.TracksGrad) x.AccumulateGrad(gx);
            if (Weight.TracksGrad) Weight.AccumulateGrad(gg);
            if (Bias.TracksGrad) Bias.AccumulateGrad(gb);
        });
    }
}

internal sealed class Embedding : Module
{
    public Tensor Weight { get; }
    public Embedding(int num, int dim, Generator? gen = null)
    {
        Weight = RegisterParameter("weight", Tensor.Randn(gen ?? Generator.Default, num, dim));
    }
    public override Tensor Forward(Tensor indices)
    {
        var idx = new int[indices.Size];
        for (int i = 0; i < idx.Length; i++) idx[i] = (int)indices.data[i];
        return Weight.IndexSelect(0, idx);
    }
}

internal static class PendingFunctional
{
    public static Tensor GroupNormSilu(Tensor x, GroupNorm norm) => norm.Forward(x).Silu();
}

internal static class PendingUpsample
{
    /// <summary>Nearest-neighbour ×2 upsampling of [B, C, H, W].</summary>
    public static Tensor Nearest2x(Tensor x)
    {
        int n = x.Dim(0) * x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        var y = new float[n * 4 * h * w];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < 2 * h; r++)
                for (int c = 0; c < 2 * w; c++) y[(i * 2 * h + r) * 2 * w + c] = x.data[(i * h + r / 2) * w + c / 2];
        return new Tensor(y, x.Dim(0), x.Dim(1), 2 * h, 2 * w).Record("Upsample", new[] { x }, g =>
        {
            var gx = new float[x.Size];
            for (int i = 0; i < n; i++)
                for (int r = 0; r < 2 * h; r++)
                    for (int c = 0; c < 2 * w; c++) gx[(i * h + r / 2) * w + c / 2] += g[(i * 2 * h + r) * 2 * w + c];
            x.AccumulateGrad(gx);
        });
    }
}

/// <summary>Adam (PyTorch semantics) until Nabla.Optim.Adam lands.</summary>
internal sealed class Adam
{
    readonly Tensor[] ps; readonly float[][] m, v;
    public float LearningRate { get; set; }
    readonly float b1, b2, eps;
    public long StepCount { get; private set; }
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f)
    {
        ps = parameters.ToArray(); LearningRate = lr; b1 = beta1; b2 = beta2; this.eps = eps;
        m = ps.Select(p => new float[p.Size]).ToArray(); v = ps.Select(p => new float[p.Size]).ToArray();
    }
    public void ZeroGrad() { foreach (var p in ps) p.Grad = null; }
    public void Step()
    {
        StepCount++;
        float bc1 = 1 - MathF.Pow(b1, StepCount), bc2 = 1 - MathF.Pow(b2, StepCount);
        float stepSize = LearningRate / bc1, sq = MathF.Sqrt(bc2);
        for (int i = 0; i < ps.Length; i++)
        {
            if (ps[i].Grad == null) continue;
            var g = ps[i].Grad!.data; var w = ps[i].data; var mi = m[i]; var vi = v[i];
            for (int j = 0; j < w.Length; j++)
            {
                mi[j] = b1 * mi[j] + (1 - b1) * g[j];
                vi[j] = b2 * vi[j] + (1 - b2) * g[j] * g[j];
                w[j] -= stepSize * mi[j] / (MathF.Sqrt(vi[j]) / sq + eps);
            }
        }
    }
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(StepCount) };
        for (int i = 0; i < ps.Length; i++) { d[$"state.{i}.exp_avg"] = new Tensor((float[])m[i].Clone(), ps[i].Shape); d[$"state.{i}.exp_avg_sq"] = new Tensor((float[])v[i].Clone(), ps[i].Shape); }
        return d;
    }
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> d)
    {
        StepCount = (long)d["step"].Item();
        for (int i = 0; i < ps.Length; i++) { d[$"state.{i}.exp_avg"].data.CopyTo(m[i], 0); d[$"state.{i}.exp_avg_sq"].data.CopyTo(v[i], 0); }
    }
}

/// <summary>Minimal safetensors F32 writer/reader with string metadata until Nabla.IO lands.</summary>
internal static class PendingSafeTensors
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> meta)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = meta };
        var list = tensors.ToList(); long off = 0;
        foreach (var (k, t) in list) { header[k] = new { dtype = "F32", shape = t.Shape, data_offsets = new[] { off, off + 4L * t.Size } }; off += 4L * t.Size; }
        var hb = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(header));
        int pad = (8 - hb.Length % 8) % 8;
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create))
        {
            fs.Write(BitConverter.GetBytes((long)(hb.Length + pad))); fs.Write(hb);
            for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
            foreach (var (_, t) in list) fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.data.AsSpan()));
            fs.Flush(true);
        }
        File.Move(tmp, full, true);
    }

    public static (Dictionary<string, Tensor> tensors, Dictionary<string, string> meta) Read(string path)
    {
        var raw = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(raw, 0);
        using var doc = System.Text.Json.JsonDocument.Parse(raw.AsMemory(8, (int)n));
        var d = new Dictionary<string, Tensor>(); var meta = new Dictionary<string, string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") { foreach (var q in p.Value.EnumerateObject()) meta[q.Name] = q.Value.GetString()!; continue; }
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var o = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var v = new float[(o[1] - o[0]) / 4];
            Buffer.BlockCopy(raw, (int)(8 + n + o[0]), v, 0, v.Length * 4);
            d[p.Name] = new Tensor(v, shape);
        }
        return (d, meta);
    }
}
