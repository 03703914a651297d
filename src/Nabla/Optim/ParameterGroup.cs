namespace Nabla.Optim;

/// <summary>
/// A set of parameters sharing hyperparameters (PyTorch's param_groups). Values left null take the optimizer's
/// defaults when the optimizer is created; schedulers change <see cref="LearningRate"/> (and <see cref="Momentum"/>).
/// </summary>
public sealed class ParameterGroup
{
    public ParameterGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
    }

    public IReadOnlyList<Tensor> Parameters { get; }
    /// <summary>The current learning rate (lr).</summary>
    public double? LearningRate { get; set; }
    /// <summary>Weight decay λ (L2 for SGD/Adam, decoupled for AdamW).</summary>
    public double? WeightDecay { get; set; }
    /// <summary>SGD's momentum, or Adam's β1 (what one-cycle schedules cycle).</summary>
    public double? Momentum { get; set; }
    /// <summary>The learning rate schedulers start from (PyTorch's initial_lr); set by the first scheduler attached.</summary>
    public double? InitialLearningRate { get; set; }

    internal double Lr => LearningRate!.Value;
    internal double Wd => WeightDecay!.Value;
    internal double Mom => Momentum!.Value;
}
