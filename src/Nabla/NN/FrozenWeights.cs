using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>
/// A promise that the weights of the modules run on this thread do not change for a while — a sampling run, an
/// evaluation, a server's fixed model — so that what a convolution derives from its weight tensor (the weights packed
/// into GEMM micro-panels, a transposed convolution's sub-kernels, row tables) is built once and reused by every call
/// instead of rebuilt, and reallocated, per call. Without a scope nothing is cached: training, where an optimizer
/// step changes the weights between calls, always packs afresh.
/// </summary>
/// <remarks>
/// Entries are keyed by the weight tensor's storage (its array, by reference) and the convolution's geometry. Writing
/// into a weight tensor while the scope is in use (an optimizer step, <c>Data</c>, loading a state dict into it)
/// breaks the promise: the convolution would keep using the weights it packed first. Loading new weights into fresh
/// tensors (a new module, a pipeline loaded from a checkpoint) is fine. The library's samplers and evaluations open one
/// for each run; <see cref="Begin"/> opens one around your own inference loop, and an instance kept by a long-lived
/// owner (a server holding a fixed model) is entered with <see cref="Use"/> for each call.
/// </remarks>
public sealed class FrozenWeights
{
    [ThreadStatic] static FrozenWeights? current;
    readonly Dictionary<(float[] Weights, ConvGeometry Geometry, int Kind), object> entries = new();

    /// <summary>Packed entries held (one per weight tensor and geometry seen).</summary>
    public int Count { get { lock (entries) return entries.Count; } }

    /// <summary>Opens a scope with a fresh cache on this thread (dispose it to end the promise and drop the cache);
    /// inside a scope already open it joins that one.</summary>
    public static IDisposable Begin() => current != null ? new Scope(current) : new FrozenWeights().Use();

    /// <summary>Makes this cache the current one on this thread until the returned scope is disposed (innermost first).</summary>
    public IDisposable Use()
    {
        var s = new Scope(current);
        current = this;
        return s;
    }

    /// <summary>Drops every entry (call it after changing the weights of a model whose cache you keep).</summary>
    public void Clear() { lock (entries) entries.Clear(); }

    /// <summary>Whether a scope is open on this thread.</summary>
    public static bool Active => current != null;

    /// <summary>
    /// What <paramref name="make"/> derives from <paramref name="weights"/> for <paramref name="geometry"/> (kinds
    /// tell different derivations apart): built once per open scope, or built each call when none is open.
    /// </summary>
    internal static T Get<T>(float[] weights, in ConvGeometry geometry, int kind, Func<T> make) where T : class
    {
        var c = current;
        if (c == null) return make();
        var key = (weights, geometry, kind);
        lock (c.entries)
            if (c.entries.TryGetValue(key, out var hit)) return (T)hit;
        var made = make();
        lock (c.entries) c.entries[key] = made;
        return made;
    }

    sealed class Scope(FrozenWeights? previous) : IDisposable
    {
        bool disposed;
        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            current = previous;
        }
    }
}
