namespace Nabla.Optim;

/// <summary>
/// Base of the optimizers (torch.optim.Optimizer): parameter groups, <see cref="Step"/> updating each parameter that
/// has a gradient in place on its storage (no graph recorded), <see cref="ZeroGrad"/>, and a state dict holding
/// every per-parameter buffer so a checkpoint restores the optimizer exactly.
/// </summary>
public abstract class Optimizer
{
    readonly List<ParameterGroup> groups;
    readonly List<Tensor> flat = new();
    readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);

    protected Optimizer(IEnumerable<ParameterGroup> paramGroups, double lr, double weightDecay, double momentum)
    {
        ArgumentNullException.ThrowIfNull(paramGroups);
        if (!(lr >= 0)) throw new ArgumentException($"{GetType().Name}: learning rate must be non-negative, got {lr}");
        if (!(weightDecay >= 0)) throw new ArgumentException($"{GetType().Name}: weight decay must be non-negative, got {weightDecay}");
        groups = paramGroups.ToList();
        if (groups.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list");
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var g in groups)
        {
            g.LearningRate ??= lr;
            g.WeightDecay ??= weightDecay;
            g.Momentum ??= momentum;
            foreach (var p in g.Parameters)
            {
                if (!seen.Add(p)) throw new ArgumentException($"{GetType().Name}: a parameter of shape {ShapeMath.Format(p.Shape)} appears in more than one group");
                flat.Add(p);
            }
        }
        if (flat.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list");
    }

    protected static IEnumerable<ParameterGroup> OneGroup(IEnumerable<Tensor> parameters) => new[] { new ParameterGroup(parameters) };

    public IReadOnlyList<ParameterGroup> ParamGroups => groups;

    /// <summary>The first group's learning rate; setting it sets every group's.</summary>
    public double LearningRate
    {
        get => groups[0].Lr;
        set { foreach (var g in groups) g.LearningRate = value; }
    }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Updates every parameter that has a gradient, in place, under no-grad.</summary>
    public void Step()
    {
        using var _ = Tensor.NoGrad();
        StepCount++;
        foreach (var g in groups)
            foreach (var p in g.Parameters)
                if (p.Grad != null) Update(g, p, p.Grad.Data, State(p));
    }

    /// <summary>The update rule for one parameter: p.Data ← f(p.Data, grad, state).</summary>
    protected abstract void Update(ParameterGroup group, Tensor p, ReadOnlySpan<float> grad, Dictionary<string, Tensor> state);

    /// <summary>Per-parameter state (buffers by name), created empty on first use.</summary>
    protected Dictionary<string, Tensor> State(Tensor p)
    {
        if (!state.TryGetValue(p, out var s)) state[p] = s = new Dictionary<string, Tensor>();
        return s;
    }

    /// <summary>Clears every parameter's gradient (set to null, as PyTorch's set_to_none).</summary>
    public void ZeroGrad() { foreach (var p in flat) p.ZeroGrad(); }

    /// <summary>
    /// Copies of the state: <c>state.{i}.{buffer}</c> per parameter (i counts parameters across groups in order),
    /// <c>param_groups.{g}.{lr|initial_lr|weight_decay|momentum}</c> as [hi, lo] float pairs (hi + lo carries the
    /// double), and <c>step</c> (the step counter).
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        for (int i = 0; i < flat.Count; i++)
            if (state.TryGetValue(flat[i], out var s))
                foreach (var (k, t) in s) d[$"state.{i}.{k}"] = Tensor.FromArray(t.ToArray(), t.Shape);
        for (int g = 0; g < groups.Count; g++)
        {
            d[$"param_groups.{g}.lr"] = Pack(groups[g].Lr);
            d[$"param_groups.{g}.weight_decay"] = Pack(groups[g].Wd);
            d[$"param_groups.{g}.momentum"] = Pack(groups[g].Mom);
            if (groups[g].InitialLearningRate is double il) d[$"param_groups.{g}.initial_lr"] = Pack(il);
        }
        d["step"] = Pack(StepCount);
        return d;
    }

    /// <summary>Restores a state saved by <see cref="StateDict"/> from an optimizer over parameters of the same shapes.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict)
    {
        ArgumentNullException.ThrowIfNull(dict);
        var newState = new Dictionary<Tensor, Dictionary<string, Tensor>>(ReferenceEqualityComparer.Instance);
        foreach (var (key, t) in dict)
        {
            var parts = key.Split('.');
            if (parts.Length == 3 && parts[0] == "state" && int.TryParse(parts[1], out int i))
            {
                if ((uint)i >= (uint)flat.Count) throw new InvalidDataException($"{GetType().Name}.LoadStateDict: '{key}' refers to parameter {i} but the optimizer has {flat.Count}");
                var p = flat[i];
                bool scalarState = parts[2] == "step";
                if (!scalarState && !t.Shape.AsSpan().SequenceEqual(p.Shape))
                    throw new InvalidDataException($"{GetType().Name}.LoadStateDict: '{key}' has shape {ShapeMath.Format(t.Shape)} but parameter {i} has shape {ShapeMath.Format(p.Shape)}");
                if (!newState.TryGetValue(p, out var s)) newState[p] = s = new Dictionary<string, Tensor>();
                s[parts[2]] = Tensor.FromArray(t.ToArray(), t.Shape);
            }
            else if (parts.Length == 3 && parts[0] == "param_groups" && int.TryParse(parts[1], out int g))
            {
                if ((uint)g >= (uint)groups.Count) throw new InvalidDataException($"{GetType().Name}.LoadStateDict: '{key}' refers to group {g} but the optimizer has {groups.Count}");
                double v = Unpack(t, key);
                switch (parts[2])
                {
                    case "lr": groups[g].LearningRate = v; break;
                    case "weight_decay": groups[g].WeightDecay = v; break;
                    case "momentum": groups[g].Momentum = v; break;
                    case "initial_lr": groups[g].InitialLearningRate = v; break;
                    default: throw new InvalidDataException($"{GetType().Name}.LoadStateDict: unknown key '{key}'");
                }
            }
            else if (key == "step") StepCount = (long)Math.Round(Unpack(t, key));
            else throw new InvalidDataException($"{GetType().Name}.LoadStateDict: unknown key '{key}'");
        }
        state.Clear();
        foreach (var (p, s) in newState) state[p] = s;
    }

    /// <summary>A double as two floats whose sum restores it to about 1e-14 relative.</summary>
    static Tensor Pack(double v)
    {
        float hi = (float)v;
        return Tensor.FromArray(new[] { hi, (float)(v - hi) });
    }

    static double Unpack(Tensor t, string key)
    {
        if (t.Size != 2) throw new InvalidDataException($"Optimizer.LoadStateDict: '{key}' must hold 2 values (hi, lo), got shape {ShapeMath.Format(t.Shape)}");
        return (double)t.Data[0] + t.Data[1];
    }
}
