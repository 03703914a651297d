using Nabla.NN;

namespace Nabla.Diffusion;

/// <summary>
/// Exponential moving average of a model's parameters, kept in a shadow copy of the model:
/// θ̄ ← d·θ̄ + (1 − d)·θ after each optimizer step, with warm-up decay d_n = min(maxDecay, (1 + n)/(10 + n))
/// (n = updates so far), so early averages are not dominated by the random initial weights (a plain 0.999 would
/// still hold a third of them after 1,000 steps). Buffers are copied, not averaged.
/// </summary>
public sealed class WeightEma
{
    readonly Tensor[] source, shadow, sourceBuffers, shadowBuffers;

    /// <summary>The averaged model (sample from it).</summary>
    public Module Shadow { get; }
    /// <summary>Upper bound of the decay.</summary>
    public float MaxDecay { get; }
    /// <summary>Number of updates applied (n).</summary>
    public long Updates { get; set; }

    /// <param name="model">The model being trained.</param>
    /// <param name="shadow">A model of the same architecture; its parameters are overwritten with the model's now.</param>
    /// <param name="maxDecay">Upper bound of the decay (0.999).</param>
    public WeightEma(Module model, Module shadow, float maxDecay = 0.999f)
    {
        ArgumentNullException.ThrowIfNull(model); ArgumentNullException.ThrowIfNull(shadow);
        if (!(maxDecay >= 0 && maxDecay < 1)) throw new ArgumentOutOfRangeException(nameof(maxDecay), $"WeightEma: maxDecay must be in [0, 1), got {maxDecay}");
        var a = model.NamedParameters().ToList(); var b = shadow.NamedParameters().ToList();
        if (a.Count != b.Count || a.Zip(b).Any(p => p.First.Key != p.Second.Key || !ShapeMath.Equal(p.First.Value.shape, p.Second.Value.shape)))
            throw new ArgumentException("WeightEma: the shadow model's parameters differ from the model's (names or shapes)");
        source = a.Select(p => p.Value).ToArray();
        this.shadow = b.Select(p => p.Value).ToArray();
        sourceBuffers = model.NamedBuffers().Select(p => p.Value).ToArray();
        shadowBuffers = shadow.NamedBuffers().Select(p => p.Value).ToArray();
        Shadow = shadow;
        MaxDecay = maxDecay;
        for (int i = 0; i < source.Length; i++) source[i].data.AsSpan().CopyTo(this.shadow[i].data);
        CopyBuffers();
    }

    /// <summary>The decay the next update will use: min(maxDecay, (1 + n)/(10 + n)).</summary>
    public float Decay => Math.Min(MaxDecay, (1f + Updates) / (10f + Updates));

    /// <summary>θ̄ ← d·θ̄ + (1 − d)·θ, computed as θ̄ += (1 − d)(θ − θ̄); call after each optimizer step.</summary>
    public void Update()
    {
        float c = 1 - Decay;
        for (int i = 0; i < source.Length; i++)
        {
            var s = shadow[i].data; var p = source[i].data;
            if (scratch.Length < s.Length) scratch = new float[s.Length];
            var diff = scratch.AsSpan(0, s.Length);
            System.Numerics.Tensors.TensorPrimitives.Subtract(p, s, diff);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(diff, c, s, s);
        }
        CopyBuffers();
        Updates++;
    }

    float[] scratch = Array.Empty<float>();

    void CopyBuffers()
    {
        for (int i = 0; i < sourceBuffers.Length; i++) sourceBuffers[i].data.AsSpan().CopyTo(shadowBuffers[i].data);
    }
}
