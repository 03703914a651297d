using Nabla.NN;

// TEMPORARY: a minimal Adam used by the DDPM trainer until the
// `normoptim` branch lands in main (then this file is deleted).
namespace Nabla.Models.Pending;

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

