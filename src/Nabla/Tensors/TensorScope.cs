namespace Nabla;

/// <summary>
/// A region of code whose intermediate tensors give their storage back when it ends (as TorchSharp's dispose
/// scopes): while a scope is open on a thread, the outputs and gradients of ops computed on that thread take their
/// arrays from <see cref="StoragePool"/>, and <see cref="Dispose"/> returns every one of them. A training or
/// sampling loop that opens one scope per step therefore reuses the same arrays step after step instead of
/// allocating fresh ones (which costs page faults and full GCs for multi-megabyte activations).
/// </summary>
/// <remarks>
/// Tensors created inside a scope must not be used after it ends, except those passed to <see cref="Keep"/>
/// (which moves their storage to the enclosing scope, or out of scoping altogether). Creation functions
/// (<see cref="Tensor.Zeros"/>, <see cref="Tensor.FromArray(float[], int[])"/>, …), parameters, buffers, optimizer
/// state and the gradients left in leaves' <see cref="Tensor.Grad"/> never belong to a scope. Scopes nest and must
/// be disposed innermost first, on the thread that opened them.
/// </remarks>
public sealed class TensorScope : IDisposable
{
    /// <summary>Arrays below this many floats (1 KB) are left to the GC: not worth a pool slot.</summary>
    internal const int MinPooled = 256;

    [ThreadStatic] static TensorScope? current;
    readonly TensorScope? parent;
    readonly HashSet<float[]> owned = new(ReferenceEqualityComparer.Instance);
    bool disposed;

    TensorScope(TensorScope? parent) { this.parent = parent; }

    /// <summary>Opens a scope on this thread; dispose it (a <c>using</c>) to give the storage of its tensors back.</summary>
    public static TensorScope Begin() => current = new TensorScope(current);

    /// <summary>True when a scope is open on this thread.</summary>
    public static bool Active => current != null;

    /// <summary>
    /// Keeps <paramref name="t"/> alive past this scope: its storage moves to the enclosing scope (or, at the
    /// outermost scope, is no longer scoped at all). Returns <paramref name="t"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor still has a recorded graph (its backward pass would read
    /// storage that the scope gives back): call Backward inside the scope, or keep <c>t.Detach()</c>.</exception>
    public Tensor Keep(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (disposed) throw new ObjectDisposedException(nameof(TensorScope), "Keep: this scope has already ended");
        if (t.node is { Released: false })
            throw new InvalidOperationException($"TensorScope.Keep: the tensor of shape {ShapeMath.Format(t.shape)} still has a recorded graph ({t.node.Op}) whose intermediate values belong to the scope; run Backward inside the scope or keep t.Detach()");
        if (owned.Remove(t.data)) parent?.owned.Add(t.data);
        return t;
    }

    /// <summary>Ends the scope: the storage of every tensor created in it (and not kept) goes back to the pool.</summary>
    public void Dispose()
    {
        if (disposed) return;
        if (current != this)
            throw new InvalidOperationException("TensorScope.Dispose: scopes must end innermost first, on the thread that opened them");
        disposed = true;
        current = parent;
        foreach (var a in owned) StoragePool.Return(a);
        owned.Clear();
    }

    /// <summary>A zero-filled array for an op's result: from the pool when a scope is open (and owned by it), else new.</summary>
    internal static float[] Zeroed(int length)
    {
        var s = current;
        if (s == null || length < MinPooled) return new float[length];
        var a = StoragePool.Rent(length, clear: true);
        s.owned.Add(a);
        return a;
    }

    /// <summary>As <see cref="Zeroed"/>, for arrays the caller overwrites completely (old contents may show through).</summary>
    internal static float[] Uninit(int length)
    {
        var s = current;
        if (s == null || length < MinPooled) return GC.AllocateUninitializedArray<float>(length);
        var a = StoragePool.Rent(length, clear: false);
        s.owned.Add(a);
        return a;
    }
}
