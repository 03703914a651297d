namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// Inverted dropout: while <paramref name="training"/>, each element is kept with probability 1 − p and scaled by
    /// 1/(1 − p) (zeroed otherwise), so the expectation is unchanged; the identity in evaluation. The keep mask comes
    /// from <paramref name="gen"/> (default <see cref="Generator.Default"/>); the gradient is masked and scaled alike.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p = 0.5f, bool training = true, Generator? gen = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Dropout: probability p must be in [0, 1], got {p}");
        if (!training || p == 0) return x;
        var mask = TensorScope.Zeroed(x.Size);
        if (p < 1)
        {
            (gen ?? Generator.Default).FillUniform(mask);
            float keep = 1 - p, scale = 1 / keep;
            for (int i = 0; i < mask.Length; i++) mask[i] = mask[i] < keep ? scale : 0f;
        }
        var y = new Tensor(TensorScope.Zeroed(x.Size), x.shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.data, mask, y.data);
        return y.Record("Dropout", new[] { x }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            System.Numerics.Tensors.TensorPrimitives.Multiply(gy, mask, gx);
            x.AccumulateGrad(gx);
        });
    }
}
