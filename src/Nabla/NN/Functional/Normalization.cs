using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>Normalization functions (torch.nn.functional.batch_norm, instance_norm, layer_norm, group_norm).</summary>
public static partial class Functional
{
    /// <summary>Splits x [N, C, *] into (N, C, L = Π*) for a normalization op; throws naming the op.</summary>
    static (int n, int c, int l) NCL(Tensor x, string op, int minRank = 2)
    {
        if (x.Rank < minRank) throw new ArgumentException($"{op}: input of shape {ShapeMath.Format(x.shape)} must have at least {minRank} dimensions [N, C, …]");
        int n = x.shape[0], c = x.shape[1];
        int l = 1;
        for (int i = 2; i < x.Rank; i++) l *= x.shape[i];
        return (n, c, l);
    }

    static void CheckChannelVector(Tensor? t, int c, string op, string name)
    {
        if (t != null && (t.Rank != 1 || t.Size != c))
            throw new ArgumentException($"{op}: {name} of shape {ShapeMath.Format(t.shape)} must be [{c}]");
    }

    static Tensor[] NormInputs(Tensor x, Tensor? weight, Tensor? bias)
    {
        var list = new List<Tensor>(3) { x };
        if (weight != null) list.Add(weight);
        if (bias != null) list.Add(bias);
        return list.ToArray();
    }

    /// <summary>Σ over n of per-(n, c) partial sums [n·c] → [c].</summary>
    static float[] SumOverBatch(float[] part, int n, int c)
    {
        var s = TensorScope.Zeroed(c);
        for (int i = 0; i < n; i++) TensorPrimitives.Add(s, part.AsSpan(i * c, c), s);
        return s;
    }

    /// <summary>
    /// Batch normalization of x [N, C] or [N, C, *] per channel c: y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c.
    /// With <paramref name="training"/> μ, σ² are the batch mean and biased variance over N and *, and the running
    /// statistics (when given) are updated in place: r ← (1 − momentum)·r + momentum·stat, with the unbiased variance
    /// for the running variance (as PyTorch). Otherwise the running statistics are used (and must be given).
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f)
    {
        const string op = "BatchNorm";
        var (n, c, l) = NCL(x, op);
        CheckChannelVector(runningMean, c, op, "running_mean");
        CheckChannelVector(runningVar, c, op, "running_var");
        CheckChannelVector(weight, c, op, "weight");
        CheckChannelVector(bias, c, op, "bias");
        if ((runningMean == null) != (runningVar == null)) throw new ArgumentException($"{op}: give both running_mean and running_var or neither");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps}");
        var mean = TensorScope.Zeroed(c);
        var rstd = TensorScope.Zeroed(c);
        if (training)
        {
            long cnt = (long)n * l;
            if (cnt <= 1) throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input of shape {ShapeMath.Format(x.shape)}");
            var var = TensorScope.Zeroed(c);
            Normalization.ChannelMoments(x.data, n, c, l, mean, var);
            for (int i = 0; i < c; i++) rstd[i] = 1f / MathF.Sqrt(var[i] + eps);
            if (runningMean != null)
            {
                float unbias = (float)cnt / (cnt - 1);
                var rm = runningMean.data; var rv = runningVar!.data;
                for (int i = 0; i < c; i++)
                {
                    rm[i] = (1 - momentum) * rm[i] + momentum * mean[i];
                    rv[i] = (1 - momentum) * rv[i] + momentum * var[i] * unbias;
                }
            }
        }
        else
        {
            if (runningMean == null) throw new ArgumentException($"{op}: evaluation (training: false) needs running_mean and running_var");
            runningMean.data.AsSpan().CopyTo(mean);
            for (int i = 0; i < c; i++) rstd[i] = 1f / MathF.Sqrt(runningVar!.data[i] + eps);
        }
        var y = new Tensor(TensorScope.Uninit(x.Size), x.shape); // fully written by the kernel
        Normalization.ChannelNormalize(x.data, y.data, n, c, l, mean, rstd, weight?.data, bias?.data);
        bool batchStats = training;
        return y.Record(op, NormInputs(x, weight, bias), gy =>
        {
            float[]? gw = weight is { TracksGrad: true } ? TensorScope.Zeroed(c) : null;
            float[]? gb = bias is { TracksGrad: true } ? TensorScope.Zeroed(c) : null;
            float[]? gx = x.TracksGrad ? TensorScope.Uninit(x.Size) : null;
            Normalization.ChannelBackward(x.data, gy, n, c, l, mean, rstd, weight?.data, batchStats, gx, gw, gb);
            if (gx != null) x.AccumulateGrad(gx);
            if (gw != null) weight!.AccumulateGrad(gw);
            if (gb != null) bias!.AccumulateGrad(gb);
        });
    }

    /// <summary>Shared body of group-form normalizations (groups of contiguous channels per sample).</summary>
    static Tensor GroupForm(Tensor x, int n, int c, int l, int groups, Tensor? weight, Tensor? bias, float eps, bool silu, string op,
        float[]? meanOut = null, float[]? varOut = null)
    {
        var mean = meanOut ?? TensorScope.Zeroed(n * groups);
        var rstd = TensorScope.Zeroed(n * groups);
        var y = new Tensor(TensorScope.Uninit(x.Size), x.shape); // fully written by the kernel
        Normalization.GroupForward(x.data, y.data, n, c, l, groups, weight?.data, bias?.data, eps, mean, rstd, silu, varOut);
        return y.Record(op, NormInputs(x, weight, bias), gy =>
        {
            bool needW = weight is { TracksGrad: true }, needB = bias is { TracksGrad: true };
            var gwPart = needW ? TensorScope.Zeroed(n * c) : null;
            var gbPart = needB ? TensorScope.Zeroed(n * c) : null;
            var gx = TensorScope.Uninit(x.Size); // fully written by the kernel
            Normalization.GroupBackward(x.data, gy, n, c, l, groups, weight?.data, bias?.data, mean, rstd, gx, gwPart, gbPart, silu);
            if (x.TracksGrad) x.AccumulateGrad(gx);
            if (needW) weight!.AccumulateGrad(SumOverBatch(gwPart!, n, c));
            if (needB) bias!.AccumulateGrad(SumOverBatch(gbPart!, n, c));
        });
    }

    /// <summary>
    /// Group normalization (Wu &amp; He) of x [N, C, *]: the C channels are split into <paramref name="groups"/> groups;
    /// each (sample, group) is normalized by its own mean and biased variance, then y = x̂·γ_c + β_c per channel.
    /// </summary>
    public static Tensor GroupNorm(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        var (n, c, l) = CheckGroupNorm(x, groups, weight, bias, eps, "GroupNorm");
        return GroupForm(x, n, c, l, groups, weight, bias, eps, false, "GroupNorm");
    }

    /// <summary>
    /// SiLU(GroupNorm(x)) in one op: y = z·σ(z) with z = x̂·γ_c + β_c. Saves a pass over memory and an intermediate
    /// tensor; the backward differentiates both (z is recomputed from x).
    /// </summary>
    public static Tensor GroupNormSilu(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        var (n, c, l) = CheckGroupNorm(x, groups, weight, bias, eps, "GroupNormSilu");
        return GroupForm(x, n, c, l, groups, weight, bias, eps, true, "GroupNormSilu");
    }

    static (int, int, int) CheckGroupNorm(Tensor x, int groups, Tensor? weight, Tensor? bias, float eps, string op)
    {
        var (n, c, l) = NCL(x, op);
        if (groups <= 0 || c % groups != 0)
            throw new ArgumentException($"{op}: {c} channels of input {ShapeMath.Format(x.shape)} cannot be split into {groups} groups");
        CheckChannelVector(weight, c, op, "weight");
        CheckChannelVector(bias, c, op, "bias");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps}");
        return (n, c, l);
    }

    /// <summary>
    /// Layer normalization over the trailing dimensions <paramref name="normalizedShape"/>: each of the leading
    /// positions is normalized by the mean and biased variance of its last Π(normalizedShape) values, then
    /// y = x̂·γ + β elementwise (γ, β of shape normalizedShape).
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        const string op = "LayerNorm";
        ArgumentNullException.ThrowIfNull(normalizedShape);
        int k = normalizedShape.Length;
        if (k == 0 || x.Rank < k || !x.shape.AsSpan(x.Rank - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"{op}: input of shape {ShapeMath.Format(x.shape)} does not end in normalized_shape {ShapeMath.Format(normalizedShape)}");
        foreach (var t in new[] { weight, bias })
            if (t != null && !t.shape.AsSpan().SequenceEqual(normalizedShape))
                throw new ArgumentException($"{op}: {(t == weight ? "weight" : "bias")} of shape {ShapeMath.Format(t.shape)} must be {ShapeMath.Format(normalizedShape)}");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps}");
        int d = ShapeMath.Size(normalizedShape);
        int rows = d == 0 ? 0 : x.Size / d;
        return GroupForm(x, rows, d, 1, 1, weight, bias, eps, false, op);
    }

    /// <summary>
    /// Instance normalization of x [N, C, *]: each (sample, channel) is normalized by its own mean and biased variance
    /// (<paramref name="useInputStats"/>), then y = x̂·γ_c + β_c. Running statistics, when given, are updated with the
    /// batch average of the instance statistics (unbiased variance), or used instead when not <paramref name="useInputStats"/>.
    /// </summary>
    public static Tensor InstanceNorm(Tensor x, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
        bool useInputStats = true, float momentum = 0.1f, float eps = 1e-5f)
    {
        const string op = "InstanceNorm";
        var (n, c, l) = NCL(x, op, 3);
        CheckChannelVector(runningMean, c, op, "running_mean");
        CheckChannelVector(runningVar, c, op, "running_var");
        CheckChannelVector(weight, c, op, "weight");
        CheckChannelVector(bias, c, op, "bias");
        if ((runningMean == null) != (runningVar == null)) throw new ArgumentException($"{op}: give both running_mean and running_var or neither");
        if (!(eps > 0)) throw new ArgumentException($"{op}: eps must be positive, got {eps}");
        if (!useInputStats)
        {
            if (runningMean == null) throw new ArgumentException($"{op}: use_input_stats false needs running_mean and running_var");
            return BatchNorm(x, runningMean, runningVar, weight, bias, training: false, momentum, eps);
        }
        if (l <= 1) throw new ArgumentException($"{op}: expected more than 1 spatial element per channel, got input of shape {ShapeMath.Format(x.shape)}");
        var mean = TensorScope.Zeroed(n * c); var var = TensorScope.Zeroed(n * c);
        var y = GroupForm(x, n, c, l, c, weight, bias, eps, false, op, mean, var);
        if (runningMean != null)
        {
            float unbias = (float)l / (l - 1);
            var rm = runningMean.data; var rv = runningVar!.data;
            for (int ch = 0; ch < c; ch++)
            {
                double sm = 0, sv = 0;
                for (int i = 0; i < n; i++)
                {
                    sm += mean[i * c + ch];
                    sv += var[i * c + ch] * unbias;
                }
                rm[ch] = (1 - momentum) * rm[ch] + momentum * (float)(sm / n);
                rv[ch] = (1 - momentum) * rv[ch] + momentum * (float)(sv / n);
            }
        }
        return y;
    }
}
