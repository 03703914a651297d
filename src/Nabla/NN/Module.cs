namespace Nabla.NN;

/// <summary>
/// Base of every layer and model, as PyTorch's nn.Module: parameters, buffers and submodules registered by
/// name, composed with dots into state-dict keys identical to PyTorch's (<c>down1.res.conv1.weight</c>,
/// <c>norm.running_mean</c>), train/eval mode, and loading/saving of state dicts.
/// </summary>
public abstract class Module
{
    readonly List<KeyValuePair<string, Tensor>> parameters = new();
    readonly List<KeyValuePair<string, Tensor>> buffers = new();
    readonly List<KeyValuePair<string, Module>> children = new();
    readonly HashSet<string> integerBuffers = new();

    /// <summary>True in training mode (the default); <see cref="Eval"/> switches dropout off and batch norm to running statistics.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Applies the module to one input. Modules with other signatures (a UNet taking x and t) add their own overloads.</summary>
    public virtual Tensor Forward(Tensor x) => throw new NotSupportedException($"{GetType().Name} has no single-input Forward");

    /// <summary>Registers a learnable tensor (it is made to require a gradient).</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.RequiresGrad = true;
        parameters.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a state tensor that is saved but not learned (running statistics). Integer buffers are saved as I64.</summary>
    protected Tensor RegisterBuffer(string name, Tensor value, bool integer = false)
    {
        CheckName(name);
        buffers.Add(new(name, value));
        if (integer) integerBuffers.Add(name);
        return value;
    }

    /// <summary>Registers a submodule; its state keys get the prefix <c>name.</c>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        children.Add(new(name, module));
        return module;
    }

    void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.')) throw new ArgumentException($"{GetType().Name}: invalid member name '{name}'");
        if (parameters.Any(p => p.Key == name) || buffers.Any(p => p.Key == name) || children.Any(p => p.Key == name))
            throw new ArgumentException($"{GetType().Name}: '{name}' is already registered");
    }

    /// <summary>Direct submodules in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => children;

    /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedModules(string prefix = "")
    {
        yield return new(prefix, this);
        foreach (var (n, c) in children)
            foreach (var m in c.NamedModules(prefix.Length == 0 ? n : prefix + "." + n)) yield return m;
    }

    /// <summary>Learnable tensors with their state-dict names (own first, then each child's, as PyTorch).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in parameters) yield return new(Join(prefix, n), p);
        foreach (var (n, c) in children)
            foreach (var p in c.NamedParameters(Join(prefix, n))) yield return p;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix = "")
    {
        foreach (var (n, b) in buffers) yield return new(Join(prefix, n), b);
        foreach (var (n, c) in children)
            foreach (var b in c.NamedBuffers(Join(prefix, n))) yield return b;
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Number of learnable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Size);

    /// <summary>All parameters and buffers by state-dict name, in PyTorch's order. The tensors are the live ones (not copies).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        Collect(d, "");
        return d;
    }

    void Collect(Dictionary<string, Tensor> d, string prefix)
    {
        foreach (var (n, p) in parameters) d[Join(prefix, n)] = p;
        foreach (var (n, b) in buffers) d[Join(prefix, n)] = b;
        foreach (var (n, c) in children) c.Collect(d, Join(prefix, n));
    }

    /// <summary>State-dict names of buffers that hold integers (saved as I64, like PyTorch's num_batches_tracked).</summary>
    public HashSet<string> IntegerStateNames()
    {
        var s = new HashSet<string>();
        foreach (var (prefix, m) in NamedModules())
            foreach (var n in m.integerBuffers) s.Add(Join(prefix, n));
        return s;
    }

    /// <summary>
    /// Copies values into this module's tensors. With <paramref name="strict"/>, missing or unexpected keys are an
    /// error; a shape mismatch is always an error naming the key and both shapes.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        if (strict)
        {
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"LoadStateDict({GetType().Name}): " +
                    (missing.Count > 0 ? $"missing keys: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")}. " : "") +
                    (unexpected.Count > 0 ? $"unexpected keys: {string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", …" : "")}." : ""));
        }
        foreach (var (k, t) in own)
        {
            if (!state.TryGetValue(k, out var src)) continue;
            if (!src.shape.AsSpan().SequenceEqual(t.shape))
                throw new InvalidDataException($"LoadStateDict({GetType().Name}): '{k}' has shape {ShapeMath.Format(src.shape)} in the state dict but {ShapeMath.Format(t.shape)} in the model");
            src.data.AsSpan().CopyTo(t.data);
        }
    }

    /// <summary>Switches this module and all descendants to training (true) or evaluation (false) mode.</summary>
    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = on;
        return this;
    }

    /// <summary>Evaluation mode: dropout off, batch norm uses running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad() { foreach (var p in Parameters()) p.ZeroGrad(); }
}
