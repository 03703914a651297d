namespace Nabla.NN;

/// <summary>Inverted dropout while training (keep with probability 1 − p, scale by 1/(1 − p)); the identity in evaluation.</summary>
public sealed class Dropout : Module
{
    readonly Generator? gen;
    public float P { get; }

    /// <param name="p">Probability of zeroing an element.</param>
    /// <param name="gen">Source of the masks; <see cref="Generator.Default"/> (read at each call) when null.</param>
    public Dropout(float p = 0.5f, Generator? gen = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Dropout: probability p must be in [0, 1], got {p}");
        P = p; this.gen = gen;
    }

    public override Tensor Forward(Tensor x) => Functional.Dropout(x, P, Training, gen ?? Generator.Default);
}
