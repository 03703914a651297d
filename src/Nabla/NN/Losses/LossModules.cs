namespace Nabla.NN;

/// <summary>Mean squared error as a module (torch.nn.MSELoss); see <see cref="Functional.MseLoss"/>.</summary>
public sealed class MSELoss : Module
{
    public Reduction Reduction { get; }
    public MSELoss(Reduction reduction = Reduction.Mean) => Reduction = reduction;
    public Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

/// <summary>Cross-entropy from logits and class labels (torch.nn.CrossEntropyLoss); see <see cref="Functional.CrossEntropy(Tensor, ReadOnlySpan{int}, Reduction, int, float)"/>.</summary>
public sealed class CrossEntropyLoss : Module
{
    public Reduction Reduction { get; }
    public int IgnoreIndex { get; }
    public float LabelSmoothing { get; }
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        if (reduction == Reduction.HalfSum) throw new ArgumentException("CrossEntropyLoss: reduction HalfSum is only defined for MSELoss");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentException($"CrossEntropyLoss: label_smoothing must be in [0, 1], got {labelSmoothing}");
        Reduction = reduction; IgnoreIndex = ignoreIndex; LabelSmoothing = labelSmoothing;
    }
    public Tensor Forward(Tensor logits, Tensor targets) => Functional.CrossEntropy(logits, targets, Reduction, IgnoreIndex, LabelSmoothing);
    public Tensor Forward(Tensor logits, int[] targets) => Functional.CrossEntropy(logits, targets, Reduction, IgnoreIndex, LabelSmoothing);
}

/// <summary>Binary cross-entropy on probabilities (torch.nn.BCELoss).</summary>
public sealed class BCELoss : Module
{
    public Reduction Reduction { get; }
    public BCELoss(Reduction reduction = Reduction.Mean) => Reduction = reduction;
    public Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Reduction);
}

/// <summary>Binary cross-entropy from logits (torch.nn.BCEWithLogitsLoss).</summary>
public sealed class BCEWithLogitsLoss : Module
{
    public Reduction Reduction { get; }
    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean) => Reduction = reduction;
    public Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Reduction);
}

/// <summary>Gaussian negative log-likelihood (torch.nn.GaussianNLLLoss).</summary>
public sealed class GaussianNLLLoss : Module
{
    public bool Full { get; }
    public float Eps { get; }
    public Reduction Reduction { get; }
    public GaussianNLLLoss(bool full = false, float eps = 1e-6f, Reduction reduction = Reduction.Mean) { Full = full; Eps = eps; Reduction = reduction; }
    public Tensor Forward(Tensor input, Tensor target, Tensor var) => Functional.GaussianNllLoss(input, target, var, Full, Eps, Reduction);
}
