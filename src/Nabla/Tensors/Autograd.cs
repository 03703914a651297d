using System.Numerics.Tensors;

namespace Nabla;

/// <summary>
/// One recorded op of the define-by-run graph: its inputs and a closure that, given ∂L/∂output,
/// adds each input's share ∂L/∂input (the chain rule) to that input.
/// </summary>
internal sealed class Node
{
    public readonly string Op;
    public Tensor[] Inputs;
    public Action<float[]>? Back;
    public bool Released;
    public Node(string op, Tensor[] inputs, Action<float[]> back) { Op = op; Inputs = inputs; Back = back; }
}

/// <summary>Whether ops record a graph on this thread. Off inside <see cref="Tensor.NoGrad"/>.</summary>
public static class GradMode
{
    [ThreadStatic] static int disabledDepth;
    public static bool Enabled => disabledDepth == 0;
    internal static void Push() => disabledDepth++;
    internal static void Pop() => disabledDepth--;
}

public sealed partial class Tensor
{
    internal Node? node;
    float[]? pendingGrad;    // ∂L/∂this accumulated during Backward for non-leaf tensors
    float[]? spareGrad;      // a leaf's gradient storage released by ZeroGrad, reused by the next backward pass
    bool requiresGrad;

    /// <summary>Whether this leaf collects a gradient in <see cref="Grad"/> (a parameter or an input being studied).</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (node != null && !value) throw new InvalidOperationException("RequiresGrad: cannot turn off gradients of a non-leaf tensor; use Detach()");
            requiresGrad = value;
        }
    }

    /// <summary>∂L/∂this after <see cref="Backward"/>, accumulated across calls until <see cref="ZeroGrad"/>.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True when this tensor takes part in a graph (a leaf that requires a gradient or the output of a recorded op).</summary>
    public bool TracksGrad => requiresGrad || node != null;

    /// <summary>The name of the op that produced this tensor, or null for a leaf.</summary>
    public string? GradFn => node?.Op;

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for fluent creation.</summary>
    public Tensor RequireGrad(bool on = true) { RequiresGrad = on; return this; }

    /// <summary>The same values with no graph: gradients stop here. Shares storage (as torch's detach()).</summary>
    public Tensor Detach() => new(data, shape);

    /// <summary>
    /// Clears <see cref="Grad"/> (as PyTorch's <c>zero_grad(set_to_none=True)</c>). The next backward pass writes the
    /// new gradient into the old one's storage when the sizes agree, so a training loop allocates its parameter
    /// gradients once: copy a gradient (<see cref="ToArray"/>) to keep it across <see cref="ZeroGrad"/>.
    /// </summary>
    public void ZeroGrad()
    {
        if (Grad != null && Grad.data.Length == data.Length) spareGrad = Grad.data;
        Grad = null;
    }

    /// <summary>A scope in which no graph is recorded (evaluation, sampling, optimizer steps).</summary>
    public static IDisposable NoGrad() { GradMode.Push(); return new NoGradScope(); }

    sealed class NoGradScope : IDisposable
    {
        bool done;
        public void Dispose() { if (!done) { done = true; GradMode.Pop(); } }
    }

    /// <summary>True when an op over these inputs must record a node.</summary>
    internal static bool ShouldRecord(string op, params Tensor[] inputs)
    {
        if (!GradMode.Enabled) return false;
        bool any = false;
        foreach (var t in inputs)
        {
            if (t.node is { Released: true })
                throw new InvalidOperationException($"{op}: an input of shape {ShapeMath.Format(t.shape)} comes from a graph that was already released by Backward(); recompute it or Detach() it");
            any |= t.TracksGrad;
        }
        return any;
    }

    /// <summary>Records <paramref name="back"/> as the gradient rule of this output when recording is on.</summary>
    internal Tensor Record(string op, Tensor[] inputs, Action<float[]> back)
    {
        if (ShouldRecord(op, inputs)) node = new Node(op, inputs, back);
        return this;
    }

    /// <summary>Adds <paramref name="g"/> (same size as this tensor) to this tensor's gradient; may adopt the array.</summary>
    internal void AccumulateGrad(float[] g)
    {
        if (node != null)
        {
            if (pendingGrad == null) pendingGrad = g;
            else TensorPrimitives.Add(pendingGrad, g, pendingGrad);
        }
        else if (requiresGrad)
        {
            if (Grad == null)
            {
                // a leaf's gradient outlives any TensorScope: never adopt scope-owned storage; reuse the storage
                // ZeroGrad released, or copy
                if (TensorScope.Active && g.Length >= TensorScope.MinPooled)
                {
                    var own = spareGrad ?? new float[g.Length];
                    g.AsSpan().CopyTo(own);
                    g = own;
                }
                spareGrad = null;
                Grad = new Tensor(g, shape);
            }
            else TensorPrimitives.Add(Grad.data, g, Grad.data);
        }
    }

    /// <summary>
    /// For a gradient rule that computes all of ∂L/∂this in one product: the array to write it into and the β for the
    /// product — this leaf's current gradient with β = 1 (accumulate), else the storage <see cref="ZeroGrad"/> released
    /// (or a new array) with β = 0, to be installed by <see cref="AdoptLeafGrad"/>. Null when this is not a leaf that
    /// collects a gradient (then use <see cref="AccumulateGrad"/>). Saves a copy per parameter per step.
    /// </summary>
    internal float[]? LeafGradTarget(out float beta)
    {
        beta = 0f;
        if (node != null || !requiresGrad) return null;
        if (Grad != null)
        {
            if (Grad.data.Length != data.Length) return null;
            beta = 1f;
            return Grad.data;
        }
        return spareGrad ?? new float[data.Length];
    }

    /// <summary>Installs the array filled through <see cref="LeafGradTarget"/> as this leaf's gradient (no-op when it already is).</summary>
    internal void AdoptLeafGrad(float[] g)
    {
        if (Grad != null) return;
        spareGrad = null;
        Grad = new Tensor(g, shape);
    }

    /// <summary>
    /// Reverse-mode autodiff: runs every recorded gradient rule from this tensor back to the leaves in reverse
    /// topological order, accumulating ∂L/∂leaf into each leaf's <see cref="Grad"/>, then releases the graph.
    /// </summary>
    /// <param name="gradient">∂L/∂this; may be omitted only for a one-element tensor (then 1).</param>
    public void Backward(Tensor? gradient = null)
    {
        if (gradient == null && data.Length != 1)
            throw new InvalidOperationException($"Backward: output of shape {ShapeMath.Format(shape)} is not a scalar; pass the upstream gradient");
        if (gradient != null && !gradient.shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"Backward: gradient of shape {ShapeMath.Format(gradient.shape)} does not match output shape {ShapeMath.Format(shape)}");
        if (node is { Released: true })
            throw new InvalidOperationException("Backward: this graph was already released by an earlier Backward(); recompute the forward pass");
        if (!TracksGrad)
            throw new InvalidOperationException("Backward: this tensor does not require a gradient and has no recorded op (was it computed under NoGrad or from detached inputs?)");

        var seed = gradient != null ? (float[])gradient.data.Clone() : new[] { 1f };
        if (node == null) { AccumulateGrad(seed); return; }

        var order = TopologicalOrder();
        pendingGrad = seed;
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var n = t.node!;
            var g = t.pendingGrad;
            t.pendingGrad = null;
            if (g != null) n.Back!(g);
            n.Back = null;
            n.Inputs = Array.Empty<Tensor>();
            n.Released = true;
        }
    }

    List<Tensor> TopologicalOrder()
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((this, 0));
        visited.Add(this);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.node!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var c = inputs[next];
                if (c.node is { Released: true })
                    throw new InvalidOperationException($"Backward: {t.node.Op} (output {ShapeMath.Format(t.shape)}) has an input of shape {ShapeMath.Format(c.shape)} from {c.node.Op}, whose graph was already released by an earlier Backward(); recompute the forward pass");
                if (c.node != null && visited.Add(c)) stack.Push((c, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Copies ∂L/∂<paramref name="t"/> into <paramref name="sink"/> when Backward reaches <paramref name="t"/>
    /// (like registering a hook in PyTorch): a way to read gradients of intermediate results.
    /// </summary>
    public static void Observe(Tensor t, Tensor sink)
    {
        if (t.node == null) throw new InvalidOperationException("Observe: the tensor has no recorded op (it is a leaf or was computed without gradients)");
        if (!sink.shape.AsSpan().SequenceEqual(t.shape)) throw new ArgumentException($"Observe: sink shape {ShapeMath.Format(sink.shape)} differs from {ShapeMath.Format(t.shape)}");
        var back = t.node.Back!;
        t.node.Back = g => { g.AsSpan().CopyTo(sink.data); back(g); };
    }
}
